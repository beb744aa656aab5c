package push

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/admission"
	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/topics"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
	"github.com/sluice-mq/sluice/internal/signature"
)

const account, region = "111122223333", "us-east-1"

func TestGuard(t *testing.T) {
	for addr, want := range map[string][2]bool{ // {strict, loopback allowed}
		"93.184.216.34":          {true, true},
		"10.0.0.1":               {true, true},
		"127.0.0.1":              {false, true},
		"::1":                    {false, true},
		"169.254.169.254":        {false, false},
		"169.254.1.1":            {false, false},
		"fe80::1":                {false, false},
		"0.0.0.0":                {false, false},
		"::":                     {false, false},
		"224.0.0.1":              {false, false},
		"fd00:ec2::254":          {false, false},
		"::ffff:127.0.0.1":       {false, true},
		"::ffff:169.254.169.254": {false, false},
	} {
		ip := netip.MustParseAddr(addr)
		if got := (Guard{}).Allowed(ip); got != want[0] {
			t.Errorf("strict guard, %s: %v", addr, got)
		}
		if got := (Guard{AllowLoopback: true}).Allowed(ip); got != want[1] {
			t.Errorf("loopback guard, %s: %v", addr, got)
		}
	}
}

type meterFunc func(admission.Usage)

func (f meterFunc) Count(u admission.Usage) { f(u) }

type harness struct {
	cat    *topics.Catalog
	eng    *engine.Engine
	offset atomic.Int64 // added to the clock
	usage  chan admission.Usage
	topic  topics.Ref
}

func newHarness(t *testing.T, allowLoopback bool) *harness {
	s := kvtest.OpenLocal(t)
	h := &harness{usage: make(chan admission.Usage, 100), topic: topics.Ref{Account: account, Region: region, Name: "hooks"}}
	clock := func() time.Time { return time.Now().Add(time.Duration(h.offset.Load())) }
	eng, err := engine.New(s, engine.Options{ReceiptKey: []byte("0123456789abcdef0123456789abcdef"), PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	eng.Start(ctx)
	h.eng, h.cat = eng, topics.New(s, topics.Options{Clock: clock})
	if _, err := h.cat.Create(ctx, h.topic, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	gate := admission.New(admission.Options{Meter: meterFunc(func(u admission.Usage) { h.usage <- u })})
	d := New(Options{Engine: eng, Topics: h.cat, Gate: gate, AllowLoopback: allowLoopback, Scan: 50 * time.Millisecond, Timeout: 2 * time.Second})
	done := make(chan struct{})
	go func() { defer close(done); d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return h
}

// recorder is an endpoint: it answers each notification with the status
// its function gives and confirms nothing by itself.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []*http.Request
	body [][]byte
}

func newRecorder(t *testing.T, status func(n int, r *http.Request) int) *recorder {
	rec := &recorder{}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, r)
		rec.body = append(rec.body, b)
		n := 0
		for _, q := range rec.reqs {
			if q.Header.Get("x-amz-sns-message-type") == topics.TypeNotification {
				n++
			}
		}
		rec.mu.Unlock()
		code := 200
		if status != nil && r.Header.Get("x-amz-sns-message-type") == topics.TypeNotification {
			code = status(n, r)
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(rec.Close)
	return rec
}

func (r *recorder) count(typ string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, q := range r.reqs {
		if q.Header.Get("x-amz-sns-message-type") == typ {
			n++
		}
	}
	return n
}

func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (h *harness) subscribe(t *testing.T, url string, attrs map[string]string) *topics.Subscription {
	t.Helper()
	ctx := context.Background()
	s, err := h.cat.SubscribeHTTP(ctx, h.eng, h.topic, "http", url, attrs, "http://sluice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.cat.Confirm(ctx, h.topic, s.Push.Token, true); err != nil {
		t.Fatal(err)
	}
	return s
}

// An endpoint failing 3 times gets the message on the 4th attempt, every
// attempt signed; the success is metered as one delivery.
func TestDeliverRetriesThenSucceeds(t *testing.T) {
	h := newHarness(t, true)
	rec := newRecorder(t, func(n int, _ *http.Request) int {
		if n <= 3 {
			return 500
		}
		return 200
	})
	s := h.subscribe(t, rec.URL, map[string]string{"DeliveryPolicy": `{"healthyRetryPolicy":{"numRetries":5,"numNoDelayRetries":5,"minDelayTarget":1,"maxDelayTarget":1}}`})
	eventually(t, 15*time.Second, "the confirmation", func() bool { return rec.count(topics.TypeConfirmation) == 1 })
	res, err := h.cat.Publish(context.Background(), h.eng, h.topic, topics.Message{Body: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "4 attempts", func() bool { return rec.count(topics.TypeNotification) == 4 })
	select {
	case u := <-h.usage:
		if u.Action != admission.ActionDeliver || u.Account != account || u.Queue != "hooks" || u.OutBytes == 0 {
			t.Fatalf("metered %+v", u)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no delivery metered")
	}
	time.Sleep(300 * time.Millisecond)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if n := len(rec.reqs); n != 5 {
		t.Fatalf("%d requests, want a confirmation and 4 attempts", n)
	}
	for i, r := range rec.reqs {
		if err := signature.Verify(s.Push.Secret, r.Header.Get(signature.Header), rec.body[i], time.Now(), signature.MaxSkew); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if i > 0 && (r.Header.Get("x-amz-sns-message-id") != res.MessageID || r.Header.Get("x-amz-sns-subscription-arn") != s.Ref.ARN() || r.Header.Get("Content-Type") != topics.DefaultContentType) {
			t.Fatalf("request %d headers %v", i, r.Header)
		}
	}
	select {
	case u := <-h.usage:
		t.Fatalf("a second delivery metered: %+v", u)
	default:
	}
}

// A dead endpoint's message goes to the subscription's dead-letter queue
// when the policy gives up; the push queue is then empty.
func TestDeliverGivesUpToDeadLetterQueue(t *testing.T) {
	h := newHarness(t, true)
	ctx := context.Background()
	dlq := queues.Ref{Account: account, Region: region, Name: "dlq"}
	if _, err := h.eng.Catalog().Create(ctx, dlq, nil, nil); err != nil {
		t.Fatal(err)
	}
	rec := newRecorder(t, func(int, *http.Request) int { return 404 })
	h.subscribe(t, rec.URL, map[string]string{
		"DeliveryPolicy": `{"healthyRetryPolicy":{"numRetries":2,"numNoDelayRetries":2,"minDelayTarget":1,"maxDelayTarget":1}}`,
		"RedrivePolicy":  `{"deadLetterTargetArn":"` + dlq.ARN() + `"}`,
	})
	if _, err := h.cat.Publish(ctx, h.eng, h.topic, topics.Message{Body: "doomed"}); err != nil {
		t.Fatal(err)
	}
	var got []engine.Message
	eventually(t, 15*time.Second, "the dead-lettered message", func() bool {
		wait := 0
		ms, err := h.eng.ReceiveMessage(ctx, dlq, engine.ReceiveInput{MaxNumberOfMessages: 10, WaitTimeSeconds: &wait})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ms...)
		return len(got) > 0
	})
	if !strings.Contains(got[0].Body, `"Message":"doomed"`) {
		t.Fatalf("dead-lettered %q", got[0].Body)
	}
	if n := rec.count(topics.TypeNotification); n != 3 {
		t.Fatalf("%d attempts before giving up, want 3", n)
	}
}

// A slow endpoint holds its own subscription's slots only: another
// subscription's messages go out at once.
func TestSlowEndpointDoesNotDelayOthers(t *testing.T) {
	h := newHarness(t, true)
	release := make(chan struct{})
	slow := newRecorder(t, func(int, *http.Request) int { <-release; return 200 })
	t.Cleanup(func() { close(release) })
	fast := newRecorder(t, nil)
	h.subscribe(t, slow.URL, nil)
	h.subscribe(t, fast.URL, nil)
	for range 10 {
		if _, err := h.cat.Publish(context.Background(), h.eng, h.topic, topics.Message{Body: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 10*time.Second, "the fast endpoint's 10 messages", func() bool { return fast.count(topics.TypeNotification) == 10 })
	if n := slow.count(topics.TypeNotification); n > 4 {
		t.Fatalf("the slow endpoint has %d requests in flight; at most 4", n)
	}
}

// Without AllowLoopback nothing is sent to 127.0.0.1.
func TestGuardRefusesLoopback(t *testing.T) {
	h := newHarness(t, false)
	rec := newRecorder(t, nil)
	if _, err := h.cat.SubscribeHTTP(context.Background(), h.eng, h.topic, "http", rec.URL, nil, "http://sluice"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if n := rec.count(topics.TypeConfirmation); n != 0 {
		t.Fatalf("%d requests reached loopback", n)
	}
}

// An unsubscribed subscription's push queue and registry entry are
// removed; a young registry entry without its record is left alone.
func TestUnsubscribedQueueIsRemoved(t *testing.T) {
	h := newHarness(t, true)
	ctx := context.Background()
	rec := newRecorder(t, nil)
	s := h.subscribe(t, rec.URL, nil)
	if err := h.cat.Unsubscribe(ctx, s.Ref); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if _, err := h.eng.Catalog().Get(ctx, topics.PushQueue(s.Ref)); err != nil {
		t.Fatalf("the push queue was removed within the grace period: %v", err)
	}
	h.offset.Store(int64(3 * time.Minute))
	eventually(t, 15*time.Second, "the push queue's removal", func() bool {
		_, err := h.eng.Catalog().Get(ctx, topics.PushQueue(s.Ref))
		regs, _ := h.cat.PushSubscriptions(ctx)
		return err != nil && len(regs) == 0
	})
}

// throttlePolicy.maxReceivesPerSecond paces a subscription's requests.
func TestThrottlePolicy(t *testing.T) {
	h := newHarness(t, true)
	rec := newRecorder(t, nil)
	h.subscribe(t, rec.URL, map[string]string{"DeliveryPolicy": `{"throttlePolicy":{"maxReceivesPerSecond":2}}`})
	eventually(t, 15*time.Second, "the confirmation", func() bool { return rec.count(topics.TypeConfirmation) == 1 })
	start := time.Now()
	for range 6 {
		if _, err := h.cat.Publish(context.Background(), h.eng, h.topic, topics.Message{Body: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 10*time.Second, "6 deliveries", func() bool { return rec.count(topics.TypeNotification) == 6 })
	if d := time.Since(start); d < 1500*time.Millisecond {
		t.Fatalf("6 deliveries at 2 a second took %s", d)
	}
}

// Two dispatchers (two nodes) on one store deliver each message once:
// the queue's claim hands a message to one of them.
func TestTwoNodesDeliverEachMessageOnce(t *testing.T) {
	h := newHarness(t, true)
	ctx, cancel := context.WithCancel(context.Background())
	second := New(Options{Engine: h.eng, Topics: h.cat, AllowLoopback: true, Scan: 50 * time.Millisecond, Timeout: 2 * time.Second})
	done := make(chan struct{})
	go func() { defer close(done); second.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	rec := newRecorder(t, nil)
	h.subscribe(t, rec.URL, nil)
	ids := map[string]bool{}
	for range 30 {
		res, err := h.cat.Publish(context.Background(), h.eng, h.topic, topics.Message{Body: "x"})
		if err != nil {
			t.Fatal(err)
		}
		ids[res.MessageID] = true
	}
	eventually(t, 15*time.Second, "30 deliveries", func() bool { return rec.count(topics.TypeNotification) >= 30 })
	time.Sleep(500 * time.Millisecond)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	seen := map[string]int{}
	for _, r := range rec.reqs {
		if r.Header.Get("x-amz-sns-message-type") == topics.TypeNotification {
			seen[r.Header.Get("x-amz-sns-message-id")]++
		}
	}
	for id := range ids {
		if seen[id] != 1 {
			t.Fatalf("message %s delivered %d times", id, seen[id])
		}
	}
}
