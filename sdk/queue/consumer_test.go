package queue

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// runConsumer runs a consumer until stop returns true (checked every
// 10 ms) or the limit passes, and returns how long shutdown took.
func runConsumer(t *testing.T, f *fakeSQS, name string, opts ConsumerOptions, h Handler, limit time.Duration, stop func() bool) time.Duration {
	t.Helper()
	if opts.OnError == nil {
		opts.OnError = func(err error) { t.Logf("consumer: %v", err) }
	}
	c, err := NewConsumer(f.client(), f.url(name), opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var cancelled time.Time
	go func() {
		defer close(done)
		if err := c.Run(ctx, h); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	deadline := time.Now().Add(limit)
	for !stop() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancelled = time.Now()
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return 10s after its context ended")
	}
	return time.Since(cancelled)
}

func (f *fakeSQS) remaining() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.msgs)
}

// handledCounts counts handler calls per body.
type handledCounts struct {
	mu sync.Mutex
	n  map[string]int
}

func (h *handledCounts) inc(body string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n == nil {
		h.n = map[string]int{}
	}
	h.n[body]++
	return h.n[body]
}

func TestConsumerAcksNacksAndRecoversPanics(t *testing.T) {
	f := newFakeSQS(t)
	var want []string
	for i := range 10 {
		for _, kind := range []string{"ok", "err", "panic"} {
			want = append(want, fmt.Sprintf("%s-%d", kind, i))
		}
	}
	f.add("", want...)
	var counts handledCounts
	h := func(_ context.Context, m *Received) error {
		n := counts.inc(m.Body)
		if n != m.ReceiveCount {
			t.Errorf("%s: call %d has ReceiveCount %d", m.Body, n, m.ReceiveCount)
		}
		switch {
		case n > 1:
			return nil
		case m.Body[:2] == "er":
			return fmt.Errorf("failing %s once", m.Body)
		case m.Body[:2] == "pa":
			panic("panicking once")
		}
		return nil
	}
	runConsumer(t, f, "q", ConsumerOptions{WaitTime: time.Second, Backoff: ConstantBackoff(0), Concurrency: 4},
		h, 10*time.Second, func() bool { return f.remaining() == 0 })
	if n := f.remaining(); n != 0 {
		t.Fatalf("%d messages left", n)
	}
	for _, body := range want {
		wantCalls := 2
		if body[:2] == "ok" {
			wantCalls = 1
		}
		if got := counts.n[body]; got != wantCalls {
			t.Errorf("%s handled %d times, want %d", body, got, wantCalls)
		}
	}
}

func TestNackVisibilityFollowsBackoff(t *testing.T) {
	f := newFakeSQS(t)
	f.add("", "m")
	var calls atomic.Int32
	runConsumer(t, f, "q", ConsumerOptions{WaitTime: time.Second, Backoff: func(n int) time.Duration { return time.Duration(n) * 7 * time.Second }},
		func(context.Context, *Received) error { calls.Add(1); return fmt.Errorf("no") },
		5*time.Second, func() bool { return calls.Load() > 0 && len(f.cmvSnapshot()) > 0 })
	got := f.cmvSnapshot()
	if len(got) != 1 || got[0].VisibilityTimeout != 7 {
		t.Fatalf("visibility changes %+v, want one of 7s", got)
	}
}

func (f *fakeSQS) cmvSnapshot() []fakeCMV {
	f.mu.Lock()
	defer f.mu.Unlock()
	var all []fakeCMV
	for _, c := range f.cmvCalls {
		all = append(all, c...)
	}
	return all
}

func TestHeartbeatOutlastsVisibilityAndStopsAtDelete(t *testing.T) {
	f := newFakeSQS(t)
	for i := range 12 {
		f.add("", fmt.Sprint("slow-", i))
	}
	var counts handledCounts
	h := func(ctx context.Context, m *Received) error {
		if counts.inc(m.Body) > 1 {
			t.Errorf("%s handled again while its first handler ran", m.Body)
		}
		time.Sleep(2500 * time.Millisecond) // 2.5× the visibility timeout
		return nil
	}
	runConsumer(t, f, "q", ConsumerOptions{WaitTime: time.Second, VisibilityTimeout: time.Second, Concurrency: 12, Pollers: 2},
		h, 15*time.Second, func() bool { return f.remaining() == 0 })
	if n := f.remaining(); n != 0 {
		t.Fatalf("%d messages left", n)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.cmvCalls) == 0 {
		t.Fatal("no heartbeat extension was sent")
	}
	for _, c := range f.cmvCalls {
		if len(c) > maxBatchEntries {
			t.Fatalf("an extension batch of %d entries", len(c))
		}
	}
	if len(f.lateCMV) > 0 {
		t.Fatalf("visibility changed after delete for %v", f.lateCMV)
	}
}

func TestShutdownReleasesPrefetchedAndCancelsTheLongPoll(t *testing.T) {
	f := newFakeSQS(t)
	for i := range 10 {
		f.add("", fmt.Sprint("m", i))
	}
	var started atomic.Int32
	h := func(ctx context.Context, m *Received) error {
		started.Add(1)
		time.Sleep(300 * time.Millisecond)
		return nil
	}
	took := runConsumer(t, f, "q", ConsumerOptions{WaitTime: 20 * time.Second, Concurrency: 1, Prefetch: 9},
		h, 5*time.Second, func() bool { return started.Load() == 1 })
	if took > 3*time.Second {
		t.Fatalf("shutdown took %v with a 20s long poll open", took)
	}
	if n := started.Load(); n != 1 {
		t.Fatalf("%d handlers started, want 1", n)
	}
	if n := f.remaining(); n != 9 {
		t.Fatalf("%d messages left, want the 9 unstarted", n)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	for _, m := range f.msgs {
		if m.visibleAt.After(now) {
			t.Errorf("%s still invisible for %v after shutdown", m.body, m.visibleAt.Sub(now))
		}
	}
}

func TestDrainDeadlineReturnsRunningMessages(t *testing.T) {
	f := newFakeSQS(t)
	f.add("", "stuck")
	var started atomic.Bool
	h := func(ctx context.Context, m *Received) error {
		started.Store(true)
		time.Sleep(3 * time.Second) // ignores ctx, as a careless handler does
		return nil
	}
	took := runConsumer(t, f, "q", ConsumerOptions{WaitTime: time.Second, DrainTimeout: 200 * time.Millisecond},
		h, 5*time.Second, started.Load)
	if took > 2*time.Second {
		t.Fatalf("shutdown took %v with a 200ms drain timeout", took)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.msgs) != 1 || f.msgs[0].visibleAt.After(time.Now()) {
		t.Fatal("the message of the handler cut at the deadline is not visible again")
	}
}

func TestFIFOGroupsRunInOrderOneAtATime(t *testing.T) {
	f := newFakeSQS(t)
	const groups, perGroup = 4, 15
	for g := range groups {
		for i := range perGroup {
			f.add(fmt.Sprint("g", g), fmt.Sprintf("g%d-%02d", g, i))
		}
	}
	var (
		mu      sync.Mutex
		running = map[string]int{}
		order   = map[string][]string{}
		failed  bool
		maxPar  int
		nowPar  int
	)
	h := func(ctx context.Context, m *Received) error {
		mu.Lock()
		running[m.GroupID]++
		nowPar++
		maxPar = max(maxPar, nowPar)
		if running[m.GroupID] > 1 {
			t.Errorf("group %s: two handlers at once", m.GroupID)
		}
		fail := m.Body == "g1-05" && !failed
		failed = failed || fail
		mu.Unlock()
		time.Sleep(2 * time.Millisecond)
		mu.Lock()
		defer mu.Unlock()
		running[m.GroupID]--
		nowPar--
		if fail {
			return fmt.Errorf("failing %s once", m.Body)
		}
		order[m.GroupID] = append(order[m.GroupID], m.Body)
		return nil
	}
	runConsumer(t, f, "q.fifo", ConsumerOptions{WaitTime: time.Second, Concurrency: 8, Backoff: ConstantBackoff(0), Pollers: 2},
		h, 20*time.Second, func() bool { return f.remaining() == 0 })
	if n := f.remaining(); n != 0 {
		t.Fatalf("%d messages left", n)
	}
	for g := range groups {
		got := order[fmt.Sprint("g", g)]
		for i, body := range got {
			if want := fmt.Sprintf("g%d-%02d", g, i); body != want {
				t.Fatalf("group g%d handled %v, want in order", g, got)
			}
		}
	}
	if maxPar < 2 {
		t.Errorf("at most %d handlers ran at once: groups did not run in parallel", maxPar)
	}
}

func TestTracingContinuesTheProducersTrace(t *testing.T) {
	f := newFakeSQS(t)
	p := newTestProducer(t, f, "q", ProducerOptions{})
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4, 5, 6}, TraceFlags: trace.FlagsSampled})
	if _, err := p.Send(trace.ContextWithSpanContext(context.Background(), sc), Message{Body: "traced"}); err != nil {
		t.Fatal(err)
	}
	var got atomic.Value
	h := Chain(func(ctx context.Context, m *Received) error {
		got.Store(trace.SpanContextFromContext(ctx).TraceID())
		if _, ok := m.Attributes[traceHeaderName]; ok {
			t.Error("the trace header arrived as a user attribute")
		}
		return nil
	}, Logging(slog.New(slog.NewTextHandler(io.Discard, nil))), Tracing(noop.NewTracerProvider(), "q"))
	runConsumer(t, f, "q", ConsumerOptions{WaitTime: time.Second}, h, 5*time.Second, func() bool { return f.remaining() == 0 })
	if id, _ := got.Load().(trace.TraceID); id != sc.TraceID() {
		t.Fatalf("handler's trace id %v, want the producer's %v", id, sc.TraceID())
	}
}

// waitRecorder records the WaitTimeSeconds of every receive.
type waitRecorder struct {
	API
	mu    sync.Mutex
	waits []int32
}

func (w *waitRecorder) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, o ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	w.mu.Lock()
	w.waits = append(w.waits, in.WaitTimeSeconds)
	w.mu.Unlock()
	return w.API.ReceiveMessage(ctx, in, o...)
}

// WaitTime 0 is the 20 s long poll; ShortPoll sends WaitTimeSeconds 0, so
// an empty queue answers at once and the poller asks again.
func TestShortPollIsExpressible(t *testing.T) {
	for _, tc := range []struct {
		wait    time.Duration
		want    int32
		atLeast int
	}{{0, 20, 1}, {3 * time.Second, 3, 1}, {ShortPoll, 0, 3}, {-time.Second, 0, 3}} {
		f := newFakeSQS(t)
		rec := &waitRecorder{API: f.client()}
		c, err := NewConsumer(rec, f.url("q"), ConsumerOptions{WaitTime: tc.wait, ShutdownPollGrace: -1})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		_ = c.Run(ctx, func(context.Context, *Received) error { return nil })
		cancel()
		rec.mu.Lock()
		if len(rec.waits) < tc.atLeast {
			t.Errorf("WaitTime %v: %d receives in 300ms, want at least %d", tc.wait, len(rec.waits), tc.atLeast)
		}
		for _, w := range rec.waits {
			if w != tc.want {
				t.Errorf("WaitTime %v: WaitTimeSeconds %d, want %d", tc.wait, w, tc.want)
				break
			}
		}
		rec.mu.Unlock()
	}
	if _, err := NewConsumer(newFakeSQS(t).client(), "q", ConsumerOptions{WaitTime: 21 * time.Second}); err == nil {
		t.Error("WaitTime 21s accepted")
	}
}
