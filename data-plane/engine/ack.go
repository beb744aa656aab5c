package engine

import (
	"context"
	"errors"
	"slices"

	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/internal/kv"
)

// DeleteMessage deletes the message last received with handle. Deleting a
// message that is already gone, or with the handle of an earlier receive,
// succeeds without effect, as SQS documents.
func (e *Engine) DeleteMessage(ctx context.Context, ref queues.Ref, handle string) error {
	results, err := e.DeleteMessageBatch(ctx, ref, []string{handle})
	if err != nil {
		return err
	}
	return results[0].Err
}

// DeleteMessageBatch deletes in one transaction; a bad handle fails alone.
// On a FIFO queue a handle whose message is visible again, or was received
// again, has expired, as SQS answers: the message's group may already have
// moved on.
func (e *Engine) DeleteMessageBatch(ctx context.Context, ref queues.Ref, handles []string) ([]BatchResult[struct{}], error) {
	invalid := make([]error, len(handles))
	receipts := make([]receipt, len(handles))
	for i, h := range handles {
		receipts[i], invalid[i] = e.handles.open(ref, h)
	}
	var (
		results []BatchResult[struct{}]
		d       did
		deleted delta
		notify  []did // queues where a group became receivable
		later   []did // and where one's next message is delayed
	)
	err := e.consumerUpdate(ref)(ctx, func(tx kv.Txn) error {
		results, deleted, notify, later = make([]BatchResult[struct{}], len(handles)), delta{}, nil, nil
		// The records are read in one request with the queue record
		// (one round trip on TiKV, not one per message): deleting one
		// changes no other (a FIFO group's index entry and record are
		// rewritten once, by finish, after the loop). removed keeps a
		// handle given twice from deleting its message twice.
		q, recs, err := e.readForDelete(ctx, tx, ref, receipts, invalid)
		if err != nil {
			return err
		}
		d = q.DID()
		now := e.clock().UnixMilli()
		var groups *fifoGroups
		if q.Attributes.FifoQueue {
			groups = newFIFOGroups(tx, e.opts.Shards, now)
		}
		removed := map[msgID]bool{}
		for i, r := range receipts {
			if results[i].Err = invalid[i]; results[i].Err != nil || r.d != d {
				continue // a handle from before a purge: the message is gone
			}
			rec := recs[r.id]
			switch {
			case rec == nil || removed[r.id]: // gone, or twice in the batch
				continue
			case groups != nil && (rec.Gen != r.gen || rec.VisibleAt <= now):
				results[i].Err = errHandleExpired(handles[i])
				continue
			case rec.Gen != r.gen:
				continue
			case groups != nil:
				err = groups.remove(ctx, d, r.id, rec)
			default:
				err = rec.remove(tx, d, r.id)
			}
			if err != nil {
				return err
			}
			removed[r.id] = true
			deleted = deleted.plus(one(rec))
		}
		if groups == nil {
			return nil
		}
		err = groups.finish(ctx)
		notify, later = groups.notify, groups.later
		return err
	})
	if err != nil {
		return nil, err
	}
	e.counts.add(d, deleted.neg())
	e.waiters.notifyReleased(notify)
	for _, ld := range later {
		e.waiters.changed(ld) // watchers learn when the group's next message is due
	}
	return results, nil
}

func getMessage(ctx context.Context, r kv.Reader, d did, id msgID) (*messageRecord, error) {
	v, err := r.Get(ctx, messageKey(d, id))
	if errors.Is(err, kv.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return decodeMessage(v)
}

// readForDelete reads a queue's record and the records of the
// valid receipts in one BatchGet, the message keys taken from the data id
// the receipts carry. Receipts of another data id than the queue's (from
// before a purge) are left out; should the queue's be none of the
// receipts', its messages are read in a second request.
func (e *Engine) readForDelete(ctx context.Context, r kv.Reader, ref queues.Ref, receipts []receipt, invalid []error) (*queues.Record, map[msgID]*messageRecord, error) {
	var guess did
	for i, rc := range receipts {
		if invalid[i] == nil {
			guess = rc.d
			break
		}
	}
	keys := messageKeys(guess, receiptIDs(guess, receipts, invalid))
	q, vals, err := e.catalog.ReadWith(ctx, r, ref, keys)
	if err != nil {
		return nil, nil, err
	}
	if q.DID() != guess {
		recs, err := getMessages(ctx, r, q.DID(), receipts, invalid)
		return q, recs, err
	}
	recs, err := decodeMessages(keys, vals)
	return q, recs, err
}

// receiptIDs returns the message ids of the valid receipts of queue data
// d.
func receiptIDs(d did, receipts []receipt, invalid []error) []msgID {
	ids := make([]msgID, 0, len(receipts))
	for i, rc := range receipts {
		if invalid[i] == nil && rc.d == d {
			ids = append(ids, rc.id)
		}
	}
	return ids
}

// getMessages reads the records of the valid receipts of queue data d in
// one BatchGet; missing records are absent from the map.
func getMessages(ctx context.Context, r kv.Reader, d did, receipts []receipt, invalid []error) (map[msgID]*messageRecord, error) {
	ids := receiptIDs(d, receipts, invalid)
	if len(ids) == 0 {
		return nil, nil
	}
	keys := messageKeys(d, ids)
	vals, err := r.BatchGet(ctx, keys)
	if err != nil {
		return nil, err
	}
	return decodeMessages(keys, vals)
}

// decodeMessages decodes the values BatchGet read for message keys.
func decodeMessages(keys [][]byte, vals map[string][]byte) (map[msgID]*messageRecord, error) {
	recs := make(map[msgID]*messageRecord, len(vals))
	for _, k := range keys {
		v, ok := vals[string(k)]
		if !ok {
			continue
		}
		rec, err := decodeMessage(v)
		if err != nil {
			return nil, err
		}
		var id msgID
		copy(id[:], k[len(k)-msgIDLen:])
		recs[id] = rec
	}
	return recs, nil
}

// VisibilityChange is one ChangeMessageVisibility request.
type VisibilityChange struct {
	ReceiptHandle     string
	VisibilityTimeout int
}

// ChangeMessageVisibility hides an in-flight message for timeout seconds
// from now; 0 makes it visible at once.
func (e *Engine) ChangeMessageVisibility(ctx context.Context, ref queues.Ref, handle string, timeout int) error {
	results, err := e.ChangeMessageVisibilityBatch(ctx, ref, []VisibilityChange{{handle, timeout}})
	if err != nil {
		return err
	}
	return results[0].Err
}

// ChangeMessageVisibilityBatch changes visibility in one transaction; an
// entry that fails does so alone.
func (e *Engine) ChangeMessageVisibilityBatch(ctx context.Context, ref queues.Ref, changes []VisibilityChange) ([]BatchResult[struct{}], error) {
	// Errors found before the transaction; each attempt starts from them.
	invalid := make([]error, len(changes))
	receipts := make([]receipt, len(changes))
	for i, ch := range changes {
		if ch.VisibilityTimeout < 0 || ch.VisibilityTimeout > maxVisibilitySecs {
			invalid[i] = errorf(sqserr.CodeInvalidParameterValue, "Value %d for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.", ch.VisibilityTimeout)
			continue
		}
		receipts[i], invalid[i] = e.handles.open(ref, ch.ReceiptHandle)
	}
	var (
		results  []BatchResult[struct{}]
		d        did
		released int   // standard messages made visible at once
		groups   []did // FIFO groups made receivable, one entry each
	)
	err := e.store.Update(ctx, func(tx kv.Txn) error {
		results, released, groups = make([]BatchResult[struct{}], len(changes)), 0, nil
		q, err := e.catalog.Read(ctx, tx, ref)
		if err != nil {
			return err
		}
		d = q.DID()
		now := e.clock().UnixMilli()
		var fifo *fifoGroups
		if q.Attributes.FifoQueue {
			fifo = newFIFOGroups(tx, e.opts.Shards, now)
		}
		for i, r := range receipts {
			if results[i].Err = invalid[i]; results[i].Err != nil {
				continue
			}
			rec, err := getMessage(ctx, tx, d, r.id)
			if err != nil {
				return err
			}
			switch {
			case r.d != d || rec == nil || rec.Gen != r.gen:
				results[i].Err = errHandleExpired(changes[i].ReceiptHandle)
				continue
			case rec.VisibleAt <= now:
				results[i].Err = errorf(sqserr.CodeMessageNotInflight, "Message does not exist or is not available for visibility timeout change.")
				continue
			}
			if fifo != nil {
				// The group's entry moves with its in-flight messages.
				rec.VisibleAt = now + int64(changes[i].VisibilityTimeout)*1000
				if err := fifo.update(ctx, d, r.id, rec); err != nil {
					return err
				}
				continue
			}
			if err := deleteIndexEntry(tx, d, rec, r.id); err != nil {
				return err
			}
			rec.VisibleAt = now + int64(changes[i].VisibilityTimeout)*1000
			if changes[i].VisibilityTimeout == 0 {
				released++
			}
			if err := rec.putState(tx, d, r.id, entryInFlight); err != nil {
				return err
			}
		}
		if fifo == nil {
			return nil
		}
		err = fifo.finish(ctx)
		groups = fifo.notify
		return err
	})
	if err != nil {
		return nil, err
	}
	switch {
	case released > 0:
		e.waiters.notifyN(d, released)
	case len(groups) > 0:
		e.waiters.notifyReleased(groups)
	case slices.ContainsFunc(results, func(r BatchResult[struct{}]) bool { return r.Err == nil }):
		e.waiters.changed(d) // watchers need to learn the new time
	}
	return results, nil
}
