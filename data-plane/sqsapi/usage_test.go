package sqsapi_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sluice-mq/sluice/billing/meter"
	"github.com/sluice-mq/sluice/billing/usage"
	"github.com/sluice-mq/sluice/data-plane/admission"
	"github.com/sluice-mq/sluice/data-plane/sqsapi"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
	"github.com/sluice-mq/sluice/tenants"
)

// usageAuth is keyAuth with B rate-limited to one send, and BADA a key of
// A whose signature is wrong.
type usageAuth struct{}

func (usageAuth) Authenticate(ctx context.Context, r *http.Request, body []byte) (sqsapi.Principal, error) {
	if strings.Contains(r.Header.Get("Authorization"), "Credential=BADA/") {
		return sqsapi.Principal{AccountID: accountA}, sqsapi.NewError("SignatureDoesNotMatch", "bad signature")
	}
	p, err := keyAuth{"KEYA": accountA, "KEYB": accountB}.Authenticate(ctx, r, body)
	if p.AccountID == accountB {
		p.Quotas = tenants.Quotas{SendPerSecond: 0.001}
	}
	return p, err
}

// TestMeteredUsageThroughTheAPI: a scripted workload through the SQS
// handler, metered, flushed and read back, equals the units SQS's rule
// gives, exactly.
func TestMeteredUsageThroughTheAPI(t *testing.T) {
	store := kvtest.OpenLocal(t)
	m := meter.New(meter.Options{Store: store})
	s := newServer(t, store, func(o *sqsapi.Options) {
		o.Auth = usageAuth{}
		o.Gate = admission.New(admission.Options{Counts: o.Engine, Meter: m})
	})
	once := func(o *sqs.Options) { o.RetryMaxAttempts = 1 }
	a := s.client("KEYA")
	mk := func(c *sqs.Client, name string, attrs map[string]string) *string {
		out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
		if err != nil {
			t.Fatal(err)
		}
		return out.QueueUrl
	}
	std := mk(a, "std", nil)
	empty := mk(a, "empty", nil)
	fifo := mk(a, "f.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	for _, n := range []int{1, 64 << 10, 64<<10 + 1} {
		if _, err := a.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: std, MessageBody: aws.String(strings.Repeat("x", n))}); err != nil {
			t.Fatal(err)
		}
	}
	var entries []types.SendMessageBatchRequestEntry
	for _, id := range []string{"a", "b", "c"} {
		entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(id), MessageBody: aws.String(strings.Repeat(id, 30000))})
	}
	if _, err := a.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: std, Entries: entries}); err != nil {
		t.Fatal(err)
	}
	if out, err := a.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: empty}); err != nil || len(out.Messages) != 0 {
		t.Fatal(out, err)
	}
	if _, err := a.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: fifo, MessageBody: aws.String(strings.Repeat("f", 70000)), MessageGroupId: aws.String("g")}); err != nil {
		t.Fatal(err)
	}
	got, err := a.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: fifo})
	if err != nil || len(got.Messages) != 1 {
		t.Fatal(got, err)
	}
	if _, err := a.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: fifo, ReceiptHandle: got.Messages[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	_, err = s.client("BADA").ListQueues(ctx, &sqs.ListQueuesInput{}, once)
	wantAPIError(t, err, "SignatureDoesNotMatch")
	_, err = s.client("NOKEY").ListQueues(ctx, &sqs.ListQueuesInput{}, once) // unknown key: not metered
	if err == nil {
		t.Fatal("unknown key accepted")
	}
	b := s.client("KEYB")
	bq := mk(b, "b", nil)
	if _, err := b.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: bq, MessageBody: aws.String("1")}, once); err != nil {
		t.Fatal(err)
	}
	_, err = b.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: bq, MessageBody: aws.String("2")}, once)
	wantAPIError(t, err, admission.CodeThrottled)

	if err := m.Close(ctx); err != nil {
		t.Fatal(err)
	}
	read := func(account string) map[usage.Quantity]int64 {
		now := time.Now()
		out := map[usage.Quantity]int64{}
		err := store.View(ctx, func(r kv.Reader) error {
			qs, err := usage.Quantities(ctx, r, account, now.Add(-time.Hour), now.Add(time.Hour), false)
			for _, q := range qs {
				a := q.Amount
				q.Amount = 0
				out[q] += a
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	req := func(qt, class string) usage.Quantity {
		return usage.Quantity{Meter: usage.Requests, QueueType: qt, Class: class}
	}
	wantUsage(t, "A", read(accountA), map[usage.Quantity]int64{
		req(usage.Standard, usage.Admin):       2,             // CreateQueue ×2
		req(usage.FIFO, usage.Admin):           1,             // CreateQueue
		req(usage.Standard, usage.Send):        1 + 1 + 2 + 2, // 1 B, 64 KiB, 64 KiB + 1, a 90,000-byte batch
		req(usage.Standard, usage.Receive):     1,             // empty
		req(usage.FIFO, usage.Send):            2,             // 70,000 B
		req(usage.FIFO, usage.Receive):         2,
		req(usage.FIFO, usage.Delete):          1,
		{Meter: usage.UnauthenticatedRequests}: 1,
		{Meter: usage.IngressBytes}:            1 + 65536 + 65537 + 90000 + 70000,
		{Meter: usage.EgressBytes}:             70000,
	})
	wantUsage(t, "B", read(accountB), map[usage.Quantity]int64{
		req(usage.Standard, usage.Admin):                            1,
		req(usage.Standard, usage.Send):                             1,
		{Meter: usage.ThrottledRequests, QueueType: usage.Standard}: 1,
		{Meter: usage.IngressBytes}:                                 1,
	})
}

func wantUsage(t *testing.T, who string, got, want map[usage.Quantity]int64) {
	t.Helper()
	for q, a := range want {
		if got[q] != a {
			t.Errorf("%s: %+v = %d, want %d", who, q, got[q], a)
		}
	}
	for q, a := range got {
		if _, ok := want[q]; !ok {
			t.Errorf("%s: unexpected %+v = %d", who, q, a)
		}
	}
}

// TestTwoNodesMeterOneTenant: two nodes (engines, gates and meters of
// their own) on one store serve one tenant's concurrent calls; once both
// meters close, the usage read is exactly what the clients did, on both
// store drivers.
func TestTwoNodesMeterOneTenant(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		const perNode, senders, size = 60, 3, 70000 // 2 units a send
		var meters []*meter.Meter
		var nodes []*server
		for range 2 {
			m := meter.New(meter.Options{Store: store})
			m.Start(ctx)
			meters = append(meters, m)
			nodes = append(nodes, newServer(t, store, func(o *sqsapi.Options) {
				o.Gate = admission.New(admission.Options{Counts: o.Engine, Meter: m})
			}))
		}
		out, err := nodes[0].client("KEYA").CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("shared")})
		if err != nil {
			t.Fatal(err)
		}
		body := aws.String(strings.Repeat("x", size))
		var wg sync.WaitGroup
		for _, n := range nodes {
			c := n.client("KEYA")
			for range senders {
				wg.Go(func() {
					for range perNode / senders {
						if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: out.QueueUrl, MessageBody: body}); err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
		}
		wg.Wait()
		for _, m := range meters {
			if err := m.Close(ctx); err != nil {
				t.Fatal(err)
			}
		}
		got := map[usage.Quantity]int64{}
		now := time.Now()
		if err := store.View(ctx, func(r kv.Reader) error {
			qs, err := usage.Quantities(ctx, r, accountA, now.Add(-time.Hour), now.Add(time.Hour), false)
			for _, q := range qs {
				a := q.Amount
				q.Amount = 0
				got[q] += a
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		wantUsage(t, "A", got, map[usage.Quantity]int64{
			{Meter: usage.Requests, QueueType: usage.Standard, Class: usage.Admin}: 1,
			{Meter: usage.Requests, QueueType: usage.Standard, Class: usage.Send}:  2 * perNode * 2,
			{Meter: usage.IngressBytes}: 2 * perNode * size,
		})
	})
}
