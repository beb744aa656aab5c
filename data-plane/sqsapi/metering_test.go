package sqsapi_test

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sluice-mq/sluice/data-plane/admission"
	"github.com/sluice-mq/sluice/data-plane/sqsapi"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
	"github.com/sluice-mq/sluice/tenants"
)

type usageLog struct {
	mu    sync.Mutex
	calls []admission.Usage
}

func (l *usageLog) Count(u admission.Usage) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, u)
}

func (l *usageLog) take() []admission.Usage {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.calls
	l.calls = nil
	return out
}

// TestEveryCallIsMetered: each SQS call, admitted, refused or failed,
// reaches the admission gate's meter once, with its queue, bytes in and
// out, and the error code it was answered with.
func TestEveryCallIsMetered(t *testing.T) {
	meter := &usageLog{}
	s := newServer(t, kvtest.OpenLocal(t), func(o *sqsapi.Options) {
		o.Auth = quotaAuth{tenants.Quotas{MaxMessageBytes: 100}}
		o.Gate = admission.New(admission.Options{Counts: o.Engine, Meter: meter})
	})
	c := s.client("KEYA")
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("metered.fifo"),
		Attributes: map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	q := out.QueueUrl
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String(strings.Repeat("x", 40)), MessageGroupId: aws.String("g")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String(strings.Repeat("y", 101)), MessageGroupId: aws.String("g")})
	wantAPIError(t, err, "InvalidParameterValue")
	got, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q})
	if err != nil || len(got.Messages) != 1 {
		t.Fatalf("receive: %v, %v", got, err)
	}
	_, err = c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("missing")})
	wantAPIError(t, err, "AWS.SimpleQueueService.NonExistentQueue")

	type seen struct {
		action, queue, code string
		fifo                bool
		in, out             int64
	}
	var calls []seen
	for _, u := range meter.take() {
		if u.API != admission.SQS || u.Account != accountA {
			t.Fatalf("metered %+v", u)
		}
		calls = append(calls, seen{u.Action, u.Queue, u.Code, u.FIFO(), u.InBytes, u.OutBytes})
	}
	want := []seen{
		{"CreateQueue", "metered.fifo", "", true, 0, 0},
		{"SendMessage", "metered.fifo", "", true, 40, 0},
		{"SendMessage", "metered.fifo", "InvalidParameterValue", true, 0, 0},
		{"ReceiveMessage", "metered.fifo", "", true, 0, 40},
		{"GetQueueUrl", "missing", "AWS.SimpleQueueService.NonExistentQueue", false, 0, 0},
	}
	if !slices.Equal(calls, want) {
		t.Fatalf("metered\n%+v\nwant\n%+v", calls, want)
	}
}
