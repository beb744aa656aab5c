package engine

import (
	"context"
	"errors"

	"github.com/sluice-mq/sluice/internal/kv"
)

// DeleteMessage deletes the message last received with handle. Deleting a
// message that is already gone, or with the handle of an earlier receive,
// succeeds without effect, as SQS documents.
func (e *Engine) DeleteMessage(ctx context.Context, ref QueueRef, handle string) error {
	results, err := e.DeleteMessageBatch(ctx, ref, []string{handle})
	if err != nil {
		return err
	}
	return results[0].Err
}

// DeleteMessageBatch deletes in one transaction; a bad handle fails alone.
func (e *Engine) DeleteMessageBatch(ctx context.Context, ref QueueRef, handles []string) ([]BatchResult[struct{}], error) {
	results := make([]BatchResult[struct{}], len(handles))
	receipts := make([]receipt, len(handles))
	for i, h := range handles {
		receipts[i], results[i].Err = e.handles.open(ref, h)
	}
	var (
		d       did
		deleted delta
	)
	err := e.store.Update(ctx, func(tx kv.Txn) error {
		deleted = delta{}
		q, err := e.readQueue(ctx, tx, ref)
		if err != nil {
			return err
		}
		d = q.did()
		for i, r := range receipts {
			if results[i].Err != nil || r.d != d {
				continue // a handle from before a purge: the message is gone
			}
			rec, err := getMessage(ctx, tx, d, r.id)
			if err != nil {
				return err
			}
			if rec == nil || rec.Gen != r.gen {
				continue
			}
			if err := rec.remove(tx, d, r.id); err != nil {
				return err
			}
			deleted = deleted.plus(one(rec))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	e.counts.add(d, deleted.neg())
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

// VisibilityChange is one ChangeMessageVisibility request.
type VisibilityChange struct {
	ReceiptHandle     string
	VisibilityTimeout int
}

// ChangeMessageVisibility hides an in-flight message for timeout seconds
// from now; 0 makes it visible at once.
func (e *Engine) ChangeMessageVisibility(ctx context.Context, ref QueueRef, handle string, timeout int) error {
	results, err := e.ChangeMessageVisibilityBatch(ctx, ref, []VisibilityChange{{handle, timeout}})
	if err != nil {
		return err
	}
	return results[0].Err
}

// ChangeMessageVisibilityBatch changes visibility in one transaction; an
// entry that fails does so alone.
func (e *Engine) ChangeMessageVisibilityBatch(ctx context.Context, ref QueueRef, changes []VisibilityChange) ([]BatchResult[struct{}], error) {
	// Errors found before the transaction; each attempt starts from them.
	invalid := make([]error, len(changes))
	receipts := make([]receipt, len(changes))
	for i, ch := range changes {
		if ch.VisibilityTimeout < 0 || ch.VisibilityTimeout > maxVisibilitySecs {
			invalid[i] = errorf(CodeInvalidParameterValue, "Value %d for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.", ch.VisibilityTimeout)
			continue
		}
		receipts[i], invalid[i] = e.handles.open(ref, ch.ReceiptHandle)
	}
	var (
		results  []BatchResult[struct{}]
		d        did
		released bool
	)
	err := e.store.Update(ctx, func(tx kv.Txn) error {
		results, released = make([]BatchResult[struct{}], len(changes)), false
		q, err := e.readQueue(ctx, tx, ref)
		if err != nil {
			return err
		}
		d = q.did()
		now := e.clock().UnixMilli()
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
				results[i].Err = errorf(CodeMessageNotInflight, "Message does not exist or is not available for visibility timeout change.")
				continue
			}
			if err := tx.Delete(indexKey(d, rec.Shard, rec.VisibleAt, r.id)); err != nil {
				return err
			}
			rec.VisibleAt = now + int64(changes[i].VisibilityTimeout)*1000
			if changes[i].VisibilityTimeout == 0 {
				released = true
			}
			if err := rec.put(tx, d, r.id, entryInFlight); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if released {
		e.waiters.notify(d)
	}
	return results, nil
}
