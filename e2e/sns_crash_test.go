package e2e

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sluice-mq/sluice/e2e/internal/sluiceproc"
)

// TestSNSPublishCrashAllOrNone: publishers fan out to 4 queues while
// `sluice dev` is killed (SIGKILL). After a restart on the same data,
// every message is in all 4 queues or in none, and every publish that was
// acknowledged is in all 4: a publish is one transaction, never a part.
func TestSNSPublishCrashAllOrNone(t *testing.T) {
	const queues, publishers = 4, 8
	data := t.TempDir()
	p := sluiceproc.StartDev(t, "--data", data)
	ctx := context.Background()
	q, s := sqsClient(p, p.SecretKey), snsClientFor(p, p.AccessKey, p.SecretKey)
	topic := mustOK(s.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("crash")}))(t).TopicArn
	for i := range queues {
		u := mustOK(q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(fmt.Sprint("crash-", i))}))(t).QueueUrl
		arn := mustOK(q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: u, AttributeNames: []sqstypes.QueueAttributeName{"QueueArn"}}))(t).Attributes["QueueArn"]
		mustOK(s.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic, Protocol: aws.String("sqs"), Endpoint: aws.String(arn),
			Attributes: map[string]string{"RawMessageDelivery": "true"}}))(t)
	}

	var (
		mu      sync.Mutex
		acked   = map[string]bool{}
		unknown = map[string]bool{} // the publish failed: it may or may not have committed
		wg      sync.WaitGroup
	)
	stop := time.Now().Add(30 * time.Second) // bounds the loop if the kill never lands
	killed := make(chan struct{})
	for w := range publishers {
		wg.Go(func() {
			for i := 0; time.Now().Before(stop); i++ {
				body := fmt.Sprintf("p%d-%d", w, i)
				_, err := s.Publish(ctx, &sns.PublishInput{TopicArn: topic, Message: aws.String(body)})
				mu.Lock()
				if err == nil {
					acked[body] = true
				} else {
					unknown[body] = true
				}
				mu.Unlock()
				if err != nil {
					select {
					case <-killed:
						return
					default:
					}
				}
			}
		})
	}
	waitFor(t, 20*time.Second, "200 acknowledged publishes", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(acked) >= 200
	})
	p.Kill()
	close(killed)
	wg.Wait()

	p = sluiceproc.StartDev(t, "--data", data)
	q = sqsClient(p, p.SecretKey)
	in := map[string]int{} // body -> queues holding it
	for i := range queues {
		u := mustOK(q.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(fmt.Sprint("crash-", i))}))(t).QueueUrl
		seen := map[string]bool{}
		for {
			out := mustOK(q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: u, MaxNumberOfMessages: 10, VisibilityTimeout: 600}))(t)
			if len(out.Messages) == 0 {
				break
			}
			for _, m := range out.Messages {
				b := aws.ToString(m.Body)
				if seen[b] {
					t.Fatalf("queue %d holds %s twice", i, b)
				}
				seen[b] = true
				in[b]++
			}
		}
	}
	for b, n := range in {
		if !acked[b] && !unknown[b] {
			t.Fatalf("%s was never published (a phantom)", b)
		}
		if n != queues {
			t.Fatalf("%s is in %d of %d queues: a publish was applied in part", b, n, queues)
		}
	}
	lost := 0
	for b := range acked {
		if in[b] != queues {
			lost++
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d acknowledged publishes are not in every queue", lost, len(acked))
	}
	landed := 0
	for b := range unknown {
		if in[b] == queues {
			landed++
		}
	}
	t.Logf("%d acknowledged publishes in all %d queues; of %d with unknown outcome, %d landed", len(acked), queues, len(unknown), landed)
}
