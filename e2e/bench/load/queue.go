package load

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// prepareQueue creates the queue (a no-op if it exists), resolves its URL
// by name as applications do, and purges it if asked.
func (r *run) prepareQueue(ctx context.Context) (string, error) {
	name := aws.String(r.cfg.Queue)
	var attrs map[string]string
	if r.cfg.Groups > 0 {
		attrs = map[string]string{"FifoQueue": "true"}
	}
	if _, err := r.client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: name, Attributes: attrs}); err != nil {
		return "", fmt.Errorf("CreateQueue %q at %s: %w", r.cfg.Queue, r.cfg.Endpoint, err)
	}
	got, err := r.client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: name})
	if err != nil {
		return "", fmt.Errorf("GetQueueUrl %q at %s: %w", r.cfg.Queue, r.cfg.Endpoint, err)
	}
	url := aws.ToString(got.QueueUrl)
	if r.cfg.Purge {
		if _, err := r.client.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: got.QueueUrl}); err != nil {
			return "", fmt.Errorf("PurgeQueue %s: %w", url, err)
		}
	}
	return url, nil
}

// cleanUpTimeout bounds the calls after the workload, which run even when
// the workload was cut, so a Ctrl-C still leaves no queue behind.
const cleanUpTimeout = 5 * time.Second

// depthAttributes are the queue counts whose sum is LeftInQueue.
var depthAttributes = []types.QueueAttributeName{
	types.QueueAttributeNameApproximateNumberOfMessages,
	types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
	types.QueueAttributeNameApproximateNumberOfMessagesDelayed,
}

// cleanUp reads how many messages the queue still holds, then deletes it
// if asked. Failures are recorded, not fatal: the measurements are taken.
// It returns the queue depth, or -1 if the server did not say.
func (r *run) cleanUp(ctx context.Context) int64 {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanUpTimeout)
	defer cancel()
	url := aws.String(r.queueURL)
	depth := int64(-1)
	out, err := r.client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: url, AttributeNames: depthAttributes})
	if err != nil {
		r.errs.add(fmt.Errorf("GetQueueAttributes %s: %w", r.queueURL, err))
	} else {
		depth = 0
		for _, name := range depthAttributes {
			n, err := strconv.ParseInt(out.Attributes[string(name)], 10, 64)
			if err != nil {
				r.errs.add(fmt.Errorf("GetQueueAttributes %s: %s = %q: %w", r.queueURL, name, out.Attributes[string(name)], err))
				depth = -1
				break
			}
			depth += n
		}
	}
	if r.cfg.DeleteQueue {
		if _, err := r.client.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: url}); err != nil {
			r.errs.add(fmt.Errorf("DeleteQueue %s: %w", r.queueURL, err))
		}
	}
	return depth
}
