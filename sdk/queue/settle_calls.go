package queue

import (
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// deleteBatch deletes ops' messages in one call and reports failures.
func (r *consumerRun) deleteBatch(ops []settleOp) {
	in := &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(r.c.queueURL), Entries: make([]types.DeleteMessageBatchRequestEntry, len(ops))}
	for i, op := range ops {
		in.Entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(op.m.msg.ReceiptHandle)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.c.opts.CallTimeout)
	defer cancel()
	out, err := r.c.client.DeleteMessageBatch(ctx, in)
	if err != nil {
		r.c.opts.OnError(fmt.Errorf("queue: DeleteMessageBatch of %d: %w", len(ops), err))
		return
	}
	r.reportFailed("DeleteMessageBatch", ops, out.Failed)
}

// changeVisibility sets ops' visibility timeouts in one call; with
// extend, it reports which entries succeeded.
func (r *consumerRun) changeVisibility(ops []settleOp) []bool {
	in := &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(r.c.queueURL), Entries: make([]types.ChangeMessageVisibilityBatchRequestEntry, len(ops))}
	for i, op := range ops {
		in.Entries[i] = types.ChangeMessageVisibilityBatchRequestEntry{
			Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(op.m.msg.ReceiptHandle), VisibilityTimeout: op.visibility,
		}
	}
	ok := make([]bool, len(ops))
	ctx, cancel := context.WithTimeout(context.Background(), r.c.opts.CallTimeout)
	defer cancel()
	out, err := r.c.client.ChangeMessageVisibilityBatch(ctx, in)
	if err != nil {
		r.c.opts.OnError(fmt.Errorf("queue: ChangeMessageVisibilityBatch of %d: %w", len(ops), err))
		return ok
	}
	for _, s := range out.Successful {
		if i, valid := entryIndex(s.Id, len(ops)); valid {
			ok[i] = true
		}
	}
	r.reportFailed("ChangeMessageVisibilityBatch", ops, out.Failed)
	return ok
}

func (r *consumerRun) reportFailed(op string, ops []settleOp, failed []types.BatchResultErrorEntry) {
	for _, f := range failed {
		id := "?"
		if i, valid := entryIndex(f.Id, len(ops)); valid {
			id = ops[i].m.msg.ID
		}
		r.c.opts.OnError(fmt.Errorf("queue: message %s: %w", id,
			&EntryError{Op: op, Code: aws.ToString(f.Code), Message: aws.ToString(f.Message), SenderFault: f.SenderFault}))
	}
}
