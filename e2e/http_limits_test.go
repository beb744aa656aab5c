package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sluice-mq/sluice/e2e/internal/sluiceproc"
)

// TestLongPollOutlastsHTTPTimeouts long-polls with the SDK for three times
// the HTTP read and idle timeouts: an empty poll returns empty after its
// wait, and a message sent during a poll is delivered to it. The SDK client
// does not retry, so a cut connection would show.
func TestLongPollOutlastsHTTPTimeouts(t *testing.T) {
	p := sluiceproc.StartDev(t, "--data", t.TempDir(),
		"--http-read-timeout", "1s", "--http-idle-timeout", "1s", "--http-write-timeout", "5s")
	c := sqsClient(p, p.SecretKey)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	q := mustOK(c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("long-poll")}))(t).QueueUrl

	start := time.Now()
	out := mustOK(c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q, WaitTimeSeconds: 3}))(t)
	if len(out.Messages) != 0 || time.Since(start) < 3*time.Second {
		t.Fatalf("empty poll: %d messages after %v", len(out.Messages), time.Since(start))
	}

	sent := make(chan error, 1)
	go func() {
		time.Sleep(2500 * time.Millisecond)
		_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String("late")})
		sent <- err
	}()
	start = time.Now()
	out = mustOK(c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q, WaitTimeSeconds: 3}))(t)
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 || aws.ToString(out.Messages[0].Body) != "late" {
		t.Fatalf("poll after %v: %+v, want the message sent at 2.5 s", time.Since(start), out.Messages)
	}
	t.Logf("message sent 2.5 s into the poll arrived after %v", time.Since(start).Round(time.Millisecond))
}
