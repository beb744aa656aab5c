package queue

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// receiveErrorPause keeps a failing receive from spinning; the SDK has
// retried already.
const receiveErrorPause = time.Second

// receivedSystemAttributes are what Received needs and handlers most
// often want; asking for All would make the server render and send every
// system attribute of every message.
var receivedSystemAttributes = []types.MessageSystemAttributeName{
	types.MessageSystemAttributeNameApproximateReceiveCount,
	types.MessageSystemAttributeNameMessageGroupId,
	types.MessageSystemAttributeNameAWSTraceHeader,
	types.MessageSystemAttributeNameSequenceNumber,
	types.MessageSystemAttributeNameSentTimestamp,
}

// poll receives until ctx ends, asking only for messages it has slots for.
// Each receive runs under callCtx, which ends shortly after ctx, so
// shutdown does not wait out a long poll.
func (r *consumerRun) poll(ctx, callCtx context.Context) {
	o := r.c.opts
	in := &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(r.c.queueURL),
		WaitTimeSeconds:             int32(max(o.WaitTime, 0) / time.Second),
		VisibilityTimeout:           visibilitySeconds(o.VisibilityTimeout),
		MessageSystemAttributeNames: receivedSystemAttributes,
		MessageAttributeNames:       []string{"All"},
	}
	for ctx.Err() == nil {
		n := r.slots.take(ctx, o.MaxMessages)
		if n == 0 {
			return
		}
		call := *in
		call.MaxNumberOfMessages = int32(n)
		out, err := r.c.client.ReceiveMessage(callCtx, &call)
		received := time.Now()
		if err != nil {
			r.slots.put(n)
			if ctx.Err() != nil || callCtx.Err() != nil {
				return
			}
			r.c.opts.OnError(fmt.Errorf("queue: ReceiveMessage: %w", err))
			sleep(ctx, receiveErrorPause)
			continue
		}
		r.slots.put(n - min(n, len(out.Messages)))
		for _, msg := range out.Messages {
			m := &inflight{msg: fromSQS(msg), deadline: received.Add(o.VisibilityTimeout)}
			r.tracker.add(m)
			if !r.dispatch.add(m) {
				r.giveBack(m, 0)
			}
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
