package engine

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"strings"

	"github.com/sluice-mq/sluice/data-plane/msgattr"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/internal/kv"
)

// Transactional (half) messages. A half message is a normal message
// record whose VisibleAt is halfVisibleAt and which has no visibility-index
// entry, so receives, counts, sweeps and move tasks, which all start from
// the index, never meet it. On a FIFO queue it has its order entry, at
// halfVisibleAt: walks over a group stop there, and a group whose head it
// is has no index entry at all (fifo.go reindex), so the messages behind
// it wait. Beside the record:
//
//	Q/{did}/h/{msgId}           its half state: pending, or the decision taken
//	H/{due ms}{did}{msgId}      check-back index: when a pending message is
//	                            next checked back, or when a decision is forgotten
//
// Commit gives the record its index entry (or its group a new head) and
// counts it, in one transaction; rollback deletes it. The decision stays
// in the half state for decisionTTL, so a repeated decision is answered
// the same way. The check-back loop (halfmsg_checkback.go) walks H/.

// halfVisibleAt marks a half message's record: visible never.
const halfVisibleAt = math.MaxInt64

// decisionTTL is how long a decision is remembered after it is taken.
const decisionTTL = 60 * 60 * 1000 // ms

// Error codes of the transaction actions (Sluice's own; HTTP 400).
const (
	CodeTransactionNotFound         = "TransactionNotFound"
	CodeTransactionAlreadyCommitted = "TransactionAlreadyCommitted"
	CodeTransactionRolledBack       = "TransactionAlreadyRolledBack"
	CodeTransactionDeadLettered     = "TransactionDeadLettered"
	CodeInvalidTransactionID        = "InvalidTransactionId"
)

// Half states.
const (
	halfPending      = 'p'
	halfCommitted    = 'c'
	halfRolledBack   = 'r'
	halfDeadLettered = 'd'
)

// Decision is how a transaction ends.
type Decision int

// The decisions.
const (
	Commit Decision = iota + 1
	Rollback
)

func (d Decision) String() string {
	if d == Commit {
		return "commit"
	}
	return "rollback"
}

// halfState is a half message's state record.
type halfState struct {
	State byte `json:"s"`
	// Due is its check-back index entry's time: the next check-back, or
	// when the check-back loop next looks at a decision (to forget it once
	// decisionTTL has passed since DecidedAt). A decision leaves the entry
	// where it was, so a commit writes no index key but the message's.
	Due       int64 `json:"d"`
	DecidedAt int64 `json:"t,omitempty"`
	Attempts  int   `json:"a,omitempty"`
	// DelayMs is the delay the message takes once committed.
	DelayMs int64  `json:"dl,omitempty"`
	Reason  string `json:"r,omitempty"`
}

func halfStateKey(d did, id msgID) []byte {
	return append(append(dataPrefix(d), "h/"...), id[:]...)
}

var checkBackPrefix = []byte("H/")

func checkBackKey(at int64, d did, id msgID) []byte {
	k := binary.BigEndian.AppendUint64(append([]byte(nil), checkBackPrefix...), uint64(max(at, 0)))
	return append(append(k, d[:]...), id[:]...)
}

func parseCheckBackKey(k []byte) (at int64, d did, id msgID, ok bool) {
	rest := k[len(checkBackPrefix):]
	if len(rest) != 8+didLen+msgIDLen {
		return 0, d, id, false
	}
	at = int64(binary.BigEndian.Uint64(rest))
	copy(d[:], rest[8:])
	copy(id[:], rest[8+didLen:])
	return at, d, id, true
}

func readHalfState(ctx context.Context, r kv.Reader, d did, id msgID) (*halfState, error) {
	v, err := r.Get(ctx, halfStateKey(d, id))
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var st halfState
	if err := json.Unmarshal(v, &st); err != nil {
		return nil, fmt.Errorf("half state %x: %w", id, err)
	}
	return &st, nil
}

// putHalfState writes st, moving its check-back entry from the time it
// had (prev; 0 for none) to st.Due.
func putHalfState(tx kv.Txn, d did, id msgID, st *halfState, prev int64) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := tx.Set(halfStateKey(d, id), b); err != nil {
		return err
	}
	if prev == st.Due {
		return nil // the entry is in place
	}
	if prev != 0 {
		if err := tx.Delete(checkBackKey(prev, d, id)); err != nil {
			return err
		}
	}
	return tx.Set(checkBackKey(st.Due, d, id), present)
}

// forgetHalf deletes a half state and its check-back entry.
func forgetHalf(tx kv.Txn, d did, id msgID, st *halfState) error {
	if err := tx.Delete(checkBackKey(st.Due, d, id)); err != nil {
		return err
	}
	return tx.Delete(halfStateKey(d, id))
}

// halfDelta is what a half message adds to the counts: its bytes (it is
// stored, and the stored-bytes quota holds it) but not its number, which
// ApproximateNumberOfMessages would show.
func halfDelta(rec *messageRecord) delta {
	x := one(rec)
	x.n = 0
	return x
}

// HalfResult is what SendHalfMessage answers: the send's result and the
// transaction id that ends it (the message id).
type HalfResult struct {
	SendResult
	TransactionID string
}

// SendHalfMessage stores a half message: durable, invisible until
// EndTransaction commits it, gone if it rolls back. On a FIFO queue a
// deduplicated send answers the first message's ids and stores nothing.
func (e *Engine) SendHalfMessage(ctx context.Context, ref queues.Ref, in SendInput) (HalfResult, error) {
	id := e.ids.next()
	var (
		d     did
		res   SendResult
		added delta
	)
	err := e.store.Update(ctx, func(tx kv.Txn) error {
		added = delta{}
		q, err := e.catalog.Read(ctx, tx, ref)
		if err != nil {
			return err
		}
		d = q.DID()
		now := e.clock().UnixMilli()
		if q.Attributes.FifoQueue {
			if err := checkFIFOEntries(q, []SendInput{in}, true); err != nil {
				return err
			}
		}
		rec, err := e.newRecord(q, in, now)
		if err != nil {
			return err
		}
		st := &halfState{State: halfPending, DelayMs: rec.VisibleAt - now,
			Due: now + int64(q.TransactionOrDefault().TimeoutSeconds)*1000}
		rec.VisibleAt = halfVisibleAt
		if q.Attributes.FifoQueue {
			groups := newFIFOGroups(tx, e.opts.Shards, now)
			fifo := &fifoSender{groups: groups, q: q, d: d}
			r, stored, err := fifo.send(ctx, id, rec)
			if err != nil {
				return err
			}
			res = r
			if !stored {
				return nil
			}
			if err := groups.finish(ctx); err != nil {
				return err
			}
		} else {
			b, err := rec.encode()
			if err != nil {
				return err
			}
			if err := tx.Set(messageKey(d, id), b); err != nil {
				return err
			}
			res = sendResult(id, rec)
		}
		added = halfDelta(rec)
		return putHalfState(tx, d, id, st, 0)
	})
	if err != nil {
		return HalfResult{}, err
	}
	e.counts.add(d, added)
	return HalfResult{SendResult: res, TransactionID: res.MessageID}, nil
}

// EndTransaction commits or rolls back the half message txID names.
// Deciding again as before succeeds; deciding otherwise is an error.
func (e *Engine) EndTransaction(ctx context.Context, ref queues.Ref, txID string, decision Decision) error {
	id, ok := parseMessageID(txID)
	if !ok {
		return errorf(CodeInvalidTransactionID, "Value %s for parameter TransactionId is invalid.", truncate(txID, 64))
	}
	var out halfOutcome
	err := e.store.Update(ctx, func(tx kv.Txn) error {
		out = halfOutcome{}
		q, err := e.catalog.Read(ctx, tx, ref)
		if err != nil {
			return err
		}
		d := q.DID()
		st, err := readHalfState(ctx, tx, d, id)
		if err != nil {
			return err
		}
		if st == nil {
			return e.undecidedFallback(ctx, tx, d, id, txID, decision)
		}
		switch st.State {
		case halfPending:
			return e.decideHalf(ctx, tx, q, ref, id, st, decision, "producer: "+decision.String(), &out)
		case halfCommitted:
			if decision == Commit {
				return nil
			}
			return errorf(CodeTransactionAlreadyCommitted, "Transaction %s was already committed.", txID)
		case halfRolledBack:
			if decision == Rollback {
				return nil
			}
			return errorf(CodeTransactionRolledBack, "Transaction %s was rolled back: %s.", txID, st.Reason)
		default:
			return errorf(CodeTransactionDeadLettered, "Transaction %s was moved to the dead-letter queue: %s.", txID, st.Reason)
		}
	})
	if err != nil {
		return err
	}
	e.applyHalfOutcome(out)
	return nil
}

// undecidedFallback answers a decision on a message with no half state:
// a message sent by a plain send (which a FIFO half send deduplicated
// into) counts as committed; anything else is unknown, or its decision
// forgotten.
func (e *Engine) undecidedFallback(ctx context.Context, tx kv.Txn, d did, id msgID, txID string, decision Decision) error {
	rec, err := getMessage(ctx, tx, d, id)
	if err != nil {
		return err
	}
	if rec != nil && rec.VisibleAt != halfVisibleAt {
		if decision == Commit {
			return nil
		}
		return errorf(CodeTransactionAlreadyCommitted, "Transaction %s was already committed.", txID)
	}
	return errorf(CodeTransactionNotFound, "Transaction %s does not exist, or was decided more than an hour ago.", txID)
}

// halfOutcome is what a decision changed, for after its commit.
type halfOutcome struct {
	deltas  map[did]delta
	notify  []did // one entry per message or FIFO group made receivable
	changed []did // delayed: watchers need to learn when
}

func (o *halfOutcome) add(d did, x delta) {
	if o.deltas == nil {
		o.deltas = map[did]delta{}
	}
	o.deltas[d] = o.deltas[d].plus(x)
}

func (e *Engine) applyHalfOutcome(o halfOutcome) {
	for d, x := range o.deltas {
		e.counts.add(d, x)
	}
	e.waiters.notifyReleased(o.notify)
	for _, d := range o.changed {
		e.waiters.changed(d)
	}
}

// decideHalf applies a decision to a pending half message in tx and
// records it, with why, in its half state. A message whose record is gone
// (its queue's retention swept it) is recorded as rolled back.
func (e *Engine) decideHalf(ctx context.Context, tx kv.Txn, q *queues.Record, ref queues.Ref, id msgID, st *halfState, decision Decision, reason string, out *halfOutcome) error {
	d := q.DID()
	now := e.clock().UnixMilli()
	prev := st.Due
	rec, err := getMessage(ctx, tx, d, id)
	if err != nil {
		return err
	}
	st.DecidedAt, st.Reason = now, reason
	switch {
	case rec == nil || rec.VisibleAt != halfVisibleAt:
		st.State, st.Reason = halfRolledBack, "the message expired before it was decided"
		if decision == Commit {
			if err := putHalfState(tx, d, id, st, prev); err != nil {
				return err
			}
			return errorf(CodeTransactionRolledBack, "Transaction %s was rolled back: %s.", formatMessageID(id), st.Reason)
		}
	case decision == Commit:
		st.State = halfCommitted
		if err := e.commitHalf(ctx, tx, q, id, rec, st.DelayMs, now, out); err != nil {
			return err
		}
	default:
		st.State = halfRolledBack
		if err := e.dropHalf(ctx, tx, q, id, rec, now); err != nil {
			return err
		}
		out.add(d, halfDelta(rec).neg())
	}
	return putHalfState(tx, d, id, st, prev)
}

// commitHalf makes the record a sent message: sent now, visible after its
// delay, indexed (or its group reindexed) and counted.
func (e *Engine) commitHalf(ctx context.Context, tx kv.Txn, q *queues.Record, id msgID, rec *messageRecord, delayMs, now int64, out *halfOutcome) error {
	d := q.DID()
	rec.SentAt, rec.VisibleAt = now, now+delayMs
	out.add(d, delta{n: 1})
	if q.Attributes.FifoQueue {
		groups := newFIFOGroups(tx, e.opts.Shards, now)
		if err := groups.update(ctx, d, id, rec); err != nil {
			return err
		}
		if err := groups.finish(ctx); err != nil {
			return err
		}
		out.notify = append(out.notify, groups.notify...)
		return nil
	}
	entry := entrySent
	if delayMs > 0 {
		entry = entryDelayed
		out.changed = append(out.changed, d)
	} else {
		out.notify = append(out.notify, d)
	}
	return rec.put(tx, d, id, entry)
}

// dropHalf deletes a half message's record; on a FIFO queue also its order
// entry (its group moves on) and its deduplication record, so the same
// deduplication id may be sent again.
func (e *Engine) dropHalf(ctx context.Context, tx kv.Txn, q *queues.Record, id msgID, rec *messageRecord, now int64) error {
	d := q.DID()
	if !q.Attributes.FifoQueue {
		return rec.drop(tx, d, id)
	}
	groups := newFIFOGroups(tx, e.opts.Shards, now)
	if err := groups.remove(ctx, d, id, rec); err != nil {
		return err
	}
	key := rec.DedupID
	if q.Attributes.DeduplicationScope == queues.DedupScopeMessageGroup {
		key = rec.Group + "\x00" + rec.DedupID
	}
	prior, err := getDedup(ctx, tx, d, key)
	if err != nil {
		return err
	}
	if prior != nil && prior.id == id {
		if err := tx.Delete(dedupKey(d, key)); err != nil {
			return err
		}
	}
	return groups.finish(ctx)
}

// deadLetterHalf moves a half message the check-back gave up on to the
// queue's redrive target as a sent message, marked with its source as a
// dead-lettered message is. It reports false, moving nothing, when the
// queue has no usable target.
func (e *Engine) deadLetterHalf(ctx context.Context, tx kv.Txn, cold *coldReads, q *queues.Record, ref queues.Ref, id msgID, rec *messageRecord, now int64, out *halfOutcome) (bool, error) {
	rp := q.Attributes.RedrivePolicy
	if rp == nil {
		return false, nil
	}
	c := &claimer{e: e, tx: tx, ref: ref, q: q}
	dlq, err := c.deadLetterQueue(ctx, rp)
	if dlq == nil || err != nil {
		return false, err
	}
	if rec.Cold != nil {
		if err := e.hydrateIn(cold, q.DID(), id, rec); err != nil {
			return false, err // errColdPending: fetched before it runs again
		}
	}
	if err := e.dropHalf(ctx, tx, q, id, rec, now); err != nil {
		return false, err
	}
	out.add(q.DID(), halfDelta(rec).neg())
	dd := dlq.DID()
	moved := *rec
	moved.Cold = nil
	moved.SentAt, moved.VisibleAt = now, now
	moved.DLQSource = ref.ARN()
	if dlq.Attributes.FifoQueue {
		groups := newFIFOGroups(tx, e.opts.Shards, now)
		if err := groups.appendMessage(ctx, dd, id, &moved); err != nil {
			return false, err
		}
		if err := groups.finish(ctx); err != nil {
			return false, err
		}
	} else {
		moved.Shard = uint8(mrand.IntN(e.opts.Shards))
		if err := moved.put(tx, dd, id, entrySent); err != nil {
			return false, err
		}
	}
	out.add(dd, one(&moved))
	out.notify = append(out.notify, dd)
	return true, nil
}

// sendResult is a sent message's answer.
func sendResult(id msgID, rec *messageRecord) SendResult {
	return SendResult{
		MessageID:                    formatMessageID(id),
		MD5OfMessageBody:             rec.MD5Body,
		MD5OfMessageAttributes:       msgattr.MD5OfAttributes(rec.Attrs),
		MD5OfMessageSystemAttributes: msgattr.MD5OfSystemAttributes(rec.SysAttrs),
		SequenceNumber:               fifoSeqNumber(rec.Seq),
	}
}

// parseMessageID reads a message id as formatMessageID writes it.
func parseMessageID(s string) (msgID, bool) {
	var id msgID
	if len(s) != 36 {
		return id, false
	}
	b, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
	if err != nil || len(b) != msgIDLen || formatMessageID(msgID(b)) != strings.ToLower(s) {
		return id, false
	}
	return msgID(b), true
}
