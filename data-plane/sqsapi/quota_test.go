package sqsapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/sluice-mq/sluice/data-plane/admission"
	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/sqsapi"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
	"github.com/sluice-mq/sluice/tenants"
)

// quotaAuth is keyAuth with quotas for account A.
type quotaAuth struct{ q tenants.Quotas }

func (a quotaAuth) Authenticate(ctx context.Context, r *http.Request, body []byte) (sqsapi.Principal, error) {
	p, err := keyAuth{"KEYA": accountA}.Authenticate(ctx, r, body)
	p.Quotas = a.q
	return p, err
}

func quotaServer(t *testing.T, q tenants.Quotas) *server {
	t.Helper()
	return newServer(t, kvtest.OpenLocal(t), func(o *sqsapi.Options) {
		o.Auth = quotaAuth{q}
	})
}

// aheadClock is the wall clock plus an offset a test moves forward: the
// admission gate's count caches age by it at once, while everything else (visibility
// timeouts included) sees time pass as usual.
type aheadClock struct{ offset atomic.Int64 }

func (c *aheadClock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *aheadClock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// clockedQuotaServer is quotaServer with the engine on an aheadClock.
func clockedQuotaServer(t *testing.T, q tenants.Quotas) (*server, *aheadClock) {
	t.Helper()
	clock := &aheadClock{}
	e, err := engine.New(kvtest.OpenLocal(t), engine.Options{Clock: clock.Now, ReceiptKey: []byte("0123456789abcdef0123456789abcdef"), PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	e.Start(context.Background())
	t.Cleanup(func() { _ = e.Close() })
	gate := admission.New(admission.Options{Counts: e, Clock: clock.Now})
	h, err := sqsapi.New(sqsapi.Options{Engine: e, Catalog: e.Catalog(), Auth: quotaAuth{q}, Gate: gate})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &server{Server: srv, engine: e}, clock
}

func TestQueueAndMessageQuotas(t *testing.T) {
	s, clock := clockedQuotaServer(t, tenants.Quotas{MaxQueues: 2, MaxMessageBytes: 1024, MaxInFlightPerQueue: 3})
	c := s.client("KEYA")
	for _, name := range []string{"one", "two", "one"} {
		if _, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)}); err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
	}
	_, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("three")})
	wantAPIError(t, err, "OverLimit")

	q := aws.String(s.URL + "/" + accountA + "/one")
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String(strings.Repeat("x", 1024))}); err != nil {
		t.Fatal(err)
	}
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String(strings.Repeat("x", 1025))})
	wantAPIError(t, err, "InvalidParameterValue")

	// In flight: 3 at most; the count is up to a second old.
	for range 4 {
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String("m")}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q, MaxNumberOfMessages: 3})
	if err != nil || len(got.Messages) != 3 {
		t.Fatalf("receive 3: %v, %v", got, err)
	}
	// Past the in-flight cache (1 s) by the gate's clock, not by sleeping:
	// the count is read again from the store, and still refuses.
	clock.Advance(1100 * time.Millisecond)
	_, err = c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q})
	wantAPIError(t, err, "OverLimit")
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q, ReceiptHandle: got.Messages[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(1100 * time.Millisecond) // the delete is seen once the cached count expires
	if _, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q}); err != nil {
		t.Fatalf("receive after a delete: %v", err)
	}
}

// TestRateQuota: throttling begins at the configured rate and recovers.
func TestRateQuota(t *testing.T) {
	const perSecond = 40
	s := quotaServer(t, tenants.Quotas{SendPerSecond: perSecond})
	c := sqs.New(sqs.Options{Region: region, BaseEndpoint: aws.String(s.URL), RetryMaxAttempts: 1,
		Credentials: s.client("KEYA").Options().Credentials, HTTPClient: s.Client()})
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("rated")})
	if err != nil {
		t.Fatal(err)
	}
	const span = 2 * time.Second
	start := time.Now()
	accepted, throttled := 0, 0
	for time.Since(start) < span {
		_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: out.QueueUrl, MessageBody: aws.String("x")})
		if err == nil {
			accepted++
			continue
		}
		wantAPIError(t, err, "RequestThrottled")
		throttled++
	}
	// At most a full bucket (one second's worth) plus the rate over the
	// time taken: the quota's promise, exact whatever the machine's load.
	// At least 60 % of that, with calls throttled: the bucket does not
	// refuse far below its rate (a loaded 2-core machine under -race may
	// not send much faster than the rate, so the floor is wide).
	elapsed := time.Since(start)
	want := perSecond + perSecond*span.Seconds()
	ceiling := perSecond + perSecond*elapsed.Seconds() + 1
	if float64(accepted) > ceiling || float64(accepted) < 0.6*want || throttled == 0 {
		t.Fatalf("accepted %d (throttled %d) in %v at %d/s, want at most %.0f and at least %.0f", accepted, throttled, elapsed, perSecond, ceiling, 0.6*want)
	}
	t.Logf("accepted %d, throttled %d in %v at %d/s (expected %.0f)", accepted, throttled, span, perSecond, want)
	time.Sleep(time.Second)
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: out.QueueUrl, MessageBody: aws.String("x")}); err != nil {
		t.Fatalf("not recovered after a second: %v", err)
	}
	// Other classes are not throttled by sends.
	if _, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: out.QueueUrl}); err != nil {
		t.Fatalf("receive throttled by sends: %v", err)
	}
}

func TestStoredBytesQuota(t *testing.T) {
	s, clock := clockedQuotaServer(t, tenants.Quotas{MaxStoredBytes: 2500})
	c := s.client("KEYA")
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("store")})
	if err != nil {
		t.Fatal(err)
	}
	body := aws.String(strings.Repeat("x", 1000))
	for range 2 {
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: out.QueueUrl, MessageBody: body}); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(2100 * time.Millisecond) // past the stored-bytes cache (2 s): the total is read from the store
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: out.QueueUrl, MessageBody: body})
	wantAPIError(t, err, "OverLimit")
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: out.QueueUrl, MessageBody: aws.String("small")}); err != nil {
		t.Fatalf("a send within the quota: %v", err)
	}
}

// Throttling in the Query protocol: the same code, 403, XML.
func TestThrottlingInQueryProtocol(t *testing.T) {
	s := quotaServer(t, tenants.Quotas{AdminPerSecond: 1})
	var r xmlReply
	readXML(t, s.queryPost(t, "KEYA", action("ListQueues")), 200, &r)
	var e xmlError
	readXML(t, s.queryPost(t, "KEYA", action("ListQueues")), 403, &e)
	if e.Error.Code != "RequestThrottled" || e.Error.Type != "Sender" {
		t.Fatalf("throttled reply = %+v", e)
	}
}

// TestCountQuotasUnderConcurrentCalls: calls made at the same instant
// cannot pass a count quota together. Checked before the call's
// transaction (as they were), 50 creates at one short of the queue quota
// all succeeded; a burst of sends or receives did the same with the
// stored-bytes and in-flight quotas.
func TestCountQuotasUnderConcurrentCalls(t *testing.T) {
	const queues, inFlight, storedBytes = 10, 5, 10_000
	s := quotaServer(t, tenants.Quotas{MaxQueues: queues, MaxInFlightPerQueue: inFlight, MaxStoredBytes: storedBytes})
	c := s.client("KEYA")
	for i := range queues - 1 {
		if _, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(fmt.Sprint("q", i))}); err != nil {
			t.Fatal(err)
		}
	}
	burst := func(n int, call func(i int) (int, error)) (total int) {
		var (
			wg sync.WaitGroup
			mu sync.Mutex
		)
		for i := range n {
			wg.Go(func() {
				got, err := call(i)
				var apiErr smithy.APIError
				if err != nil && !(errors.As(err, &apiErr) && apiErr.ErrorCode() == "OverLimit") {
					t.Errorf("call %d: %v", i, err)
				}
				mu.Lock()
				total += got
				mu.Unlock()
			})
		}
		wg.Wait()
		return total
	}
	created := burst(50, func(i int) (int, error) {
		_, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(fmt.Sprint("new", i))})
		return btoi(err == nil), err
	})
	list, err := c.ListQueues(ctx, &sqs.ListQueuesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if created != 1 || len(list.QueueUrls) != queues {
		t.Errorf("%d creates succeeded, %d queues: want exactly the quota, %d", created, len(list.QueueUrls), queues)
	}

	q := aws.String(s.URL + "/" + accountA + "/q0")
	body := aws.String(strings.Repeat("x", 1000))
	sent := burst(40, func(int) (int, error) {
		_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: body})
		return btoi(err == nil), err
	})
	if sent != storedBytes/1000 {
		t.Errorf("%d sends of 1000 bytes accepted under a quota of %d bytes", sent, storedBytes)
	}
	received := burst(20, func(int) (int, error) {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q, MaxNumberOfMessages: 10})
		if err != nil {
			return 0, err
		}
		return len(out.Messages), nil
	})
	if received != inFlight {
		t.Errorf("%d messages received at once under an in-flight quota of %d", received, inFlight)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
