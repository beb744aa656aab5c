package queue

import (
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// sendBatch makes one SendMessageBatch call and gives every entry its own
// outcome: the reply's entry of the same id, or the call's error.
func (p *Producer) sendBatch(batch []*entry) {
	live := batch[:0:0]
	for _, e := range batch {
		if err := e.ctx.Err(); err != nil {
			p.finish(e, SendResult{}, err) // its sender gave up: do not send it
			continue
		}
		live = append(live, e)
	}
	if len(live) == 0 {
		return
	}
	in := &sqs.SendMessageBatchInput{QueueUrl: aws.String(p.queueURL), Entries: make([]types.SendMessageBatchRequestEntry, len(live))}
	for i, e := range live {
		in.Entries[i] = e.msg.toEntry(strconv.Itoa(i))
	}
	// The call outlives any one sender's context: the batch is shared.
	ctx, cancel := context.WithTimeout(context.Background(), p.opts.CallTimeout)
	defer cancel()
	out, err := p.client.SendMessageBatch(ctx, in)
	if err != nil {
		err = fmt.Errorf("queue: SendMessageBatch: %w", err)
		for _, e := range live {
			p.finish(e, SendResult{}, err)
		}
		return
	}
	answered := make([]bool, len(live))
	for _, ok := range out.Successful {
		if i, valid := entryIndex(ok.Id, len(live)); valid && !answered[i] {
			answered[i] = true
			p.finish(live[i], SendResult{MessageID: aws.ToString(ok.MessageId), SequenceNumber: aws.ToString(ok.SequenceNumber)}, nil)
		}
	}
	for _, f := range out.Failed {
		if i, valid := entryIndex(f.Id, len(live)); valid && !answered[i] {
			answered[i] = true
			p.finish(live[i], SendResult{}, &EntryError{Op: "SendMessageBatch", Code: aws.ToString(f.Code), Message: aws.ToString(f.Message), SenderFault: f.SenderFault})
		}
	}
	for i, e := range live {
		if !answered[i] {
			p.finish(e, SendResult{}, fmt.Errorf("queue: SendMessageBatch reply has no entry %d", i))
		}
	}
}

func (p *Producer) finish(e *entry, r SendResult, err error) {
	p.budget.release(e.cost())
	e.pending.finish(r, err)
}

// entryIndex parses a reply's entry id back to the index it was sent as.
func entryIndex(id *string, n int) (int, bool) {
	i, err := strconv.Atoi(aws.ToString(id))
	return i, err == nil && i >= 0 && i < n
}
