package e2e

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sluice-mq/sluice/e2e/internal/sluiceproc"
)

// TestFIFOWithSDK drives a FIFO queue with aws-sdk-go-v2 against the real
// process: group order with two consumers, the group lock, deduplication
// across a restart of the server, and a FIFO dead-letter queue.
func TestFIFOWithSDK(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	p := sluiceproc.StartDev(t, "--data", data)
	c := sqsClient(p, p.SecretKey)
	dlq := mustOK(c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("payments-dlq.fifo"),
		Attributes: map[string]string{"FifoQueue": "true"}}))(t).QueueUrl
	dlqArn := mustOK(c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: dlq,
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}}))(t).Attributes["QueueArn"]
	q := mustOK(c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("payments.fifo"), Attributes: map[string]string{
		"FifoQueue": "true", "ContentBasedDeduplication": "true",
		"RedrivePolicy": `{"deadLetterTargetArn":"` + dlqArn + `","maxReceiveCount":"2"}`}}))(t).QueueUrl

	// 3 groups × 20 messages, sent in batches.
	for k := 0; k < 20; k += 10 {
		for g := range 3 {
			var entries []types.SendMessageBatchRequestEntry
			for i := k; i < k+10; i++ {
				entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint("e", i)),
					MessageBody: aws.String(fmt.Sprintf("account-%d/%02d", g, i)), MessageGroupId: aws.String(fmt.Sprint("account-", g))})
			}
			out := mustOK(c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q, Entries: entries}))(t)
			if len(out.Successful) != 10 || aws.ToString(out.Successful[0].SequenceNumber) == "" {
				t.Fatalf("batch: %+v", out)
			}
		}
	}
	// A duplicate with the same body is dropped.
	dup := mustOK(c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String("account-0/00"), MessageGroupId: aws.String("account-0")}))(t)

	// Two consumers: each group's messages arrive in order. A consumer
	// notes what it received before deleting it, and the next message of
	// the group is only delivered after that delete.
	var (
		mu         sync.Mutex
		next       = map[string]int{}
		violations []string
		total      int
	)
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			cc := sqsClient(p, p.SecretKey)
			for empty := 0; empty < 3; {
				out, err := cc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
				if err != nil {
					errs <- err
					return
				}
				if len(out.Messages) == 0 {
					empty++
					continue
				}
				for _, m := range out.Messages {
					var g, k int
					fmt.Sscanf(aws.ToString(m.Body), "account-%d/%d", &g, &k)
					mu.Lock()
					if key := fmt.Sprint(g); next[key] != k {
						violations = append(violations, fmt.Sprintf("got %s, want account-%d/%02d", aws.ToString(m.Body), g, next[key]))
					} else {
						next[key] = k + 1
					}
					total++
					mu.Unlock()
					if _, err := cc.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q, ReceiptHandle: m.ReceiptHandle}); err != nil {
						errs <- err
						return
					}
				}
			}
			errs <- nil
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if len(violations) > 0 || total != 60 {
		t.Fatalf("delivered %d of 60 (the duplicate %s must not arrive); order violations: %v", total, aws.ToString(dup.MessageId), violations)
	}

	// Deduplication survives a restart of the server.
	mustOK(c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String("once"), MessageGroupId: aws.String("r"), MessageDeduplicationId: aws.String("restart-1")}))(t)
	if code, err := p.Stop(10 * time.Second); err != nil || code != 0 {
		t.Fatalf("stop: %d %v", code, err)
	}
	p = sluiceproc.StartDev(t, "--data", data)
	c = sqsClient(p, p.SecretKey)
	q = aws.String(p.Endpoint + "/" + p.AccountID + "/payments.fifo")
	mustOK(c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String("twice"), MessageGroupId: aws.String("r"), MessageDeduplicationId: aws.String("restart-1")}))(t)
	got := mustOK(c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 1}))(t)
	if len(got.Messages) != 1 || aws.ToString(got.Messages[0].Body) != "once" {
		t.Fatalf("after restart received %d messages", len(got.Messages))
	}

	// Received twice without a delete, it is dead-lettered into the FIFO
	// DLQ with its group.
	for range 2 {
		time.Sleep(1100 * time.Millisecond)
		mustOK(c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q, WaitTimeSeconds: 1, VisibilityTimeout: 1}))(t)
	}
	d := mustOK(c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: dlq, WaitTimeSeconds: 2,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll}}))(t)
	if len(d.Messages) != 1 || d.Messages[0].Attributes["MessageGroupId"] != "r" || d.Messages[0].Attributes["DeadLetterQueueSourceArn"] == "" {
		t.Fatalf("dead-letter queue: %+v", d.Messages)
	}
	_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String("x")})
	wantCode(t, err, "MissingParameter")
}
