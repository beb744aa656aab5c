package engine

import (
	"context"
	"errors"

	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/internal/kv"
)

// Delivery is one message for one queue of a Fanout.
type Delivery struct {
	Queue   queues.Ref
	Message SendInput
}

// FanoutResult is what became of one Delivery: the new message's id (on
// a FIFO queue, the first message's when the delivery was a duplicate
// within the deduplication window, and its sequence number), or Skipped
// when the queue does not exist.
type FanoutResult struct {
	MessageID      string
	SequenceNumber string
	Skipped        bool
}

// Fanout sends messages to several queues in one store transaction, the
// way a topic publishes: plan reads what it needs in that transaction
// (the topic and its subscriptions) and names the deliveries, and every
// one of them is stored in the same transaction. When Fanout returns nil,
// every delivered message is durably in its queue; with an error, none
// is. A message its queue refuses (too large, bad attributes) fails the
// whole call. plan may also write its own records in the transaction (a
// FIFO topic's deduplication record), which commit with the deliveries.
// plan may run more than once (the transaction is retried on conflict).
func (e *Engine) Fanout(ctx context.Context, plan func(ctx context.Context, tx kv.Txn) ([]Delivery, error)) ([]FanoutResult, error) {
	type sent struct {
		d       did
		n       delta
		visible bool
	}
	var (
		results []FanoutResult
		done    map[did]*sent
	)
	err := e.store.Update(ctx, func(tx kv.Txn) error {
		done = map[did]*sent{}
		deliveries, err := plan(ctx, tx)
		if err != nil {
			return err
		}
		results = make([]FanoutResult, len(deliveries))
		now := e.clock().UnixMilli()
		var groups *fifoGroups // shared by every FIFO queue of the fan-out
		for i, dl := range deliveries {
			q, err := e.catalog.Read(ctx, tx, dl.Queue)
			if errors.Is(err, sqserr.ErrQueueDoesNotExist) {
				results[i].Skipped = true
				continue
			}
			if err != nil {
				return err
			}
			rec, err := e.newRecord(q, dl.Message, now)
			if err != nil {
				return err
			}
			d := q.DID()
			s := done[d]
			if s == nil {
				s = &sent{d: d}
				done[d] = s
			}
			if q.Attributes.FifoQueue {
				if err := checkFIFOEntries(q, []SendInput{dl.Message}, true); err != nil {
					return err
				}
				if groups == nil {
					groups = newFIFOGroups(tx, e.opts.Shards, now)
				}
				id := e.ids.next()
				res, added, err := (&fifoSender{groups: groups, q: q, d: d}).send(ctx, id, rec)
				if err != nil {
					return err
				}
				if added {
					s.n = s.n.plus(one(rec))
				}
				results[i].MessageID, results[i].SequenceNumber = res.MessageID, res.SequenceNumber
				continue
			}
			entry := entrySent
			if rec.VisibleAt > now {
				entry = entryDelayed
			} else {
				s.visible = true
			}
			id := e.ids.next()
			if err := rec.put(tx, d, id, entry); err != nil {
				return err
			}
			s.n = s.n.plus(one(rec))
			results[i].MessageID = formatMessageID(id)
		}
		if groups != nil {
			if err := groups.finish(ctx); err != nil {
				return err
			}
			for _, d := range groups.notify {
				done[d].visible = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, s := range done {
		e.counts.add(s.d, s.n)
		switch {
		case s.visible:
			e.waiters.notifyN(s.d, int(s.n.n))
		case s.n.n > 0:
			e.waiters.changed(s.d)
		}
	}
	return results, nil
}
