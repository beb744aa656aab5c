package engine

import (
	"context"
	"errors"
	mrand "math/rand/v2"

	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
)

// moveToDeadLetter moves the message to the redrive target in the claim's
// transaction, keeping its id, body, attributes, sent time and receive
// count, as SQS does. It reports false, leaving the message where it is,
// when the target no longer exists or no longer admits this queue.
func (c *claimer) moveToDeadLetter(ctx context.Context, id msgID, rec *messageRecord, rp *queues.RedrivePolicy) (bool, error) {
	dlq, err := c.deadLetterQueue(ctx, rp)
	if dlq == nil || err != nil {
		return false, err
	}
	if c.groups != nil {
		return true, c.moveToFIFODeadLetter(ctx, id, rec, dlq, rp.DeadLetterTargetArn)
	}
	if err := rec.remove(c.tx, c.d, id); err != nil {
		return false, err
	}
	dd := dlq.DID()
	moved := *rec
	moved.Gen = 0
	moved.Shard = uint8(mrand.IntN(c.e.opts.Shards))
	moved.VisibleAt = c.now
	moved.DLQSource = c.ref.ARN()
	moved.Cold = nil // hydrated by take: the body goes in hot
	if err := moved.put(c.tx, dd, id, entrySent); err != nil {
		return false, err
	}
	c.out.deltas[c.d] = c.out.deltas[c.d].plus(one(rec).neg())
	c.out.deltas[dd] = c.out.deltas[dd].plus(one(&moved))
	c.out.notify = append(c.out.notify, dd)
	c.out.moved = append(c.out.moved, c.deadLettered(id, rec, rp.DeadLetterTargetArn))
	return true, nil
}

// deadLettered describes a message's move to the dead-letter queue.
func (c *claimer) deadLettered(id msgID, rec *messageRecord, dlqARN string) MessageMove {
	return MessageMove{MessageID: formatMessageID(id), Source: c.ref.ARN(), Destination: dlqARN,
		TraceHeader: rec.SysAttrs[SysAWSTraceHeader].StringValue}
}

// deadLetterQueue returns the redrive target, or nil when it no longer
// exists, no longer admits this queue, or is not of this queue's type.
func (c *claimer) deadLetterQueue(ctx context.Context, rp *queues.RedrivePolicy) (*queues.Record, error) {
	target, err := queues.ParseARN(rp.DeadLetterTargetArn)
	if err != nil || target.Account != c.ref.Account || target.Region != c.ref.Region {
		return nil, nil
	}
	dlq, err := queues.Load(ctx, c.tx, queues.Ref{Account: target.Account, Region: target.Region, Name: target.Name})
	if errors.Is(err, sqserr.ErrQueueDoesNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !dlq.Attributes.RedriveAllowPolicy.Allows(c.ref.ARN()) || dlq.Attributes.FifoQueue != c.q.Attributes.FifoQueue {
		return nil, nil
	}
	return dlq, nil
}

// moveToFIFODeadLetter moves a FIFO message to the end of its group in the
// dead-letter queue. The claim walks a group in order, so the messages of
// a group arrive there in the order they were sent.
func (c *claimer) moveToFIFODeadLetter(ctx context.Context, id msgID, rec *messageRecord, dlq *queues.Record, dlqARN string) error {
	if err := c.groups.remove(ctx, c.d, id, rec); err != nil {
		return err
	}
	dd := dlq.DID()
	moved := *rec
	moved.Gen = 0
	moved.VisibleAt = c.now
	moved.DLQSource = c.ref.ARN()
	moved.Cold = nil
	if err := c.groups.appendMessage(ctx, dd, id, &moved); err != nil {
		return err
	}
	c.out.deltas[c.d] = c.out.deltas[c.d].plus(one(rec).neg())
	c.out.deltas[dd] = c.out.deltas[dd].plus(one(&moved))
	c.out.moved = append(c.out.moved, c.deadLettered(id, rec, dlqARN))
	return nil
}
