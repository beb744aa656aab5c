package engine

import (
	"context"
	mrand "math/rand/v2"

	"github.com/sluice-mq/sluice/data-plane/msgattr"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/internal/kv"
)

// SendInput is one message to send.
type SendInput struct {
	Body             string
	DelaySeconds     *int // nil: the queue's DelaySeconds
	Attributes       msgattr.Attributes
	SystemAttributes msgattr.Attributes // AWSTraceHeader
	SenderID         string
	// MessageGroupID orders a FIFO queue's messages (required there); a
	// standard queue keeps it only to return it. DeduplicationID is FIFO
	// only. nil means not given.
	MessageGroupID  *string
	DeduplicationID *string
}

// SendResult is what SQS answers for a sent message.
type SendResult struct {
	MessageID                    string
	MD5OfMessageBody             string
	MD5OfMessageAttributes       string
	MD5OfMessageSystemAttributes string
	SequenceNumber               string // FIFO queues
}

// BatchResult is one entry's outcome in a batch call: Err is set when the
// entry failed on its own.
type BatchResult[T any] struct {
	Result T
	Err    error
}

const maxDelaySeconds = 900

// SendMessage sends one message and answers after it is durably stored.
func (e *Engine) SendMessage(ctx context.Context, ref queues.Ref, in SendInput) (SendResult, error) {
	results, err := e.sendBatch(ctx, ref, []SendInput{in}, true)
	if err != nil {
		return SendResult{}, err
	}
	return results[0].Result, results[0].Err
}

// SendMessageBatch sends the entries in one transaction. An entry that is
// invalid fails alone; the others are sent. On a FIFO queue an entry
// without a group id, or without a deduplication id where the queue has
// no content-based deduplication, fails the whole call, as in SQS.
func (e *Engine) SendMessageBatch(ctx context.Context, ref queues.Ref, entries []SendInput) ([]BatchResult[SendResult], error) {
	return e.sendBatch(ctx, ref, entries, false)
}

func (e *Engine) sendBatch(ctx context.Context, ref queues.Ref, entries []SendInput, single bool) ([]BatchResult[SendResult], error) {
	results := make([]BatchResult[SendResult], len(entries))
	ids := make([]msgID, len(entries))
	for i := range entries {
		ids[i] = e.ids.next()
	}
	var (
		d       did
		visible bool
		sent    delta
	)
	err := e.store.Update(ctx, func(tx kv.Txn) error {
		visible, sent = false, delta{}
		q, err := e.catalog.Read(ctx, tx, ref)
		if err != nil {
			return err
		}
		d = q.DID()
		now := e.clock().UnixMilli()
		var fifo *fifoSender
		if q.Attributes.FifoQueue {
			if err := checkFIFOEntries(q, entries, single); err != nil {
				return err
			}
			fifo = &fifoSender{groups: newFIFOGroups(tx, e.opts.Shards, now), q: q, d: d}
		}
		recs := make([]*messageRecord, len(entries))
		for i, in := range entries {
			var err error
			recs[i], err = e.newRecord(q, in, now)
			results[i] = BatchResult[SendResult]{Err: err}
		}
		if fifo != nil {
			if err := fifo.readDedups(ctx, recs); err != nil {
				return err
			}
		}
		for i, rec := range recs {
			if rec == nil {
				continue
			}
			if fifo != nil {
				res, added, err := fifo.send(ctx, ids[i], rec)
				if err != nil {
					return err
				}
				results[i].Result = res
				if added {
					sent = sent.plus(one(rec))
				}
				continue
			}
			entry := entrySent
			if rec.VisibleAt > now {
				entry = entryDelayed
			} else {
				visible = true
			}
			if err := rec.put(tx, d, ids[i], entry); err != nil {
				return err
			}
			sent = sent.plus(one(rec))
			results[i].Result = SendResult{
				MessageID:                    formatMessageID(ids[i]),
				MD5OfMessageBody:             rec.MD5Body,
				MD5OfMessageAttributes:       msgattr.MD5OfAttributes(rec.Attrs),
				MD5OfMessageSystemAttributes: msgattr.MD5OfSystemAttributes(rec.SysAttrs),
			}
		}
		if fifo != nil {
			if err := fifo.groups.finish(ctx); err != nil {
				return err
			}
			visible = len(fifo.groups.notify) > 0
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	e.counts.add(d, sent)
	switch {
	case visible:
		e.waiters.notifyN(d, int(sent.n))
	case sent.n > 0: // delayed: watchers need to learn when
		e.waiters.changed(d)
	}
	return results, nil
}

// newRecord validates one entry against the queue and builds its record.
func (e *Engine) newRecord(q *queues.Record, in SendInput, now int64) (*messageRecord, error) {
	if in.Body == "" {
		return nil, errorf(sqserr.CodeMissingParameter, "The request must contain the parameter MessageBody.")
	}
	if err := msgattr.ValidateBody(in.Body); err != nil {
		return nil, asEngineError(err)
	}
	if err := msgattr.Validate(in.Attributes); err != nil {
		return nil, asEngineError(err)
	}
	if err := msgattr.ValidateSystem(in.SystemAttributes); err != nil {
		return nil, asEngineError(err)
	}
	if size := len(in.Body) + msgattr.Size(in.Attributes); size > q.Attributes.MaximumMessageSize {
		// Recorded from real SQS: localstack/localstack
		// tests/aws/services/sqs/test_sqs.snapshot.json,
		// test_send_message_with_updated_maximum_message_size (400).
		return nil, errorf(sqserr.CodeInvalidParameterValue, "One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", q.Attributes.MaximumMessageSize)
	}
	group, dedupID, err := checkFIFOIDs(q, in)
	if err != nil {
		return nil, err
	}
	delay := q.Attributes.DelaySeconds
	if in.DelaySeconds != nil && q.Attributes.FifoQueue && *in.DelaySeconds != 0 {
		return nil, errorf(sqserr.CodeInvalidParameterValue, "Value %d for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.", *in.DelaySeconds)
	}
	if in.DelaySeconds != nil && !q.Attributes.FifoQueue {
		delay = *in.DelaySeconds
		if delay < 0 || delay > maxDelaySeconds {
			return nil, errorf(sqserr.CodeInvalidParameterValue, "Value %d for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= %d.", delay, maxDelaySeconds)
		}
	}
	body := []byte(in.Body)
	return &messageRecord{
		SentAt:    now,
		SenderID:  in.SenderID,
		Attrs:     in.Attributes,
		SysAttrs:  in.SystemAttributes,
		MD5Body:   msgattr.MD5OfBodyBytes(body),
		Shard:     uint8(mrand.IntN(e.opts.Shards)),
		VisibleAt: now + int64(delay)*1000,
		Group:     group,
		DedupID:   dedupID,
		Body:      body,
	}, nil
}

// asEngineError carries msgattr's SQS code over unchanged.
func asEngineError(err error) error {
	if me, ok := err.(*msgattr.Error); ok {
		return &sqserr.Error{Code: me.Code, Message: me.Message}
	}
	return err
}
