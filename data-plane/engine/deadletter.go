package engine

import (
	"context"
	"errors"
	mrand "math/rand/v2"
)

// moveToDeadLetter moves the message to the redrive target in the claim's
// transaction, keeping its id, body, attributes, sent time and receive
// count, as SQS does. It reports false, leaving the message where it is,
// when the target no longer exists or no longer admits this queue.
func (c *claimer) moveToDeadLetter(ctx context.Context, id msgID, rec *messageRecord, rp *RedrivePolicy) (bool, error) {
	target, err := ParseARN(rp.DeadLetterTargetArn)
	if err != nil || target.Account != c.ref.Account || target.Region != c.ref.Region {
		return false, nil
	}
	dlq, err := loadQueue(ctx, c.tx, QueueRef{Account: target.Account, Region: target.Region, Name: target.Name})
	if errors.Is(err, ErrQueueDoesNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !dlq.Attributes.RedriveAllowPolicy.Allows(c.ref.ARN()) {
		return false, nil
	}
	if err := rec.remove(c.tx, c.d, id); err != nil {
		return false, err
	}
	dd := dlq.did()
	moved := *rec
	moved.Gen = 0
	moved.Shard = uint8(mrand.IntN(c.e.opts.Shards))
	moved.VisibleAt = c.now
	moved.DLQSource = c.ref.ARN()
	if err := moved.put(c.tx, dd, id, entrySent); err != nil {
		return false, err
	}
	c.out.deltas[c.d] = c.out.deltas[c.d].plus(one(rec).neg())
	c.out.deltas[dd] = c.out.deltas[dd].plus(one(rec))
	c.out.notify = append(c.out.notify, dd)
	return true, nil
}
