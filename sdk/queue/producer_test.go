package queue

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"
)

func newTestProducer(t *testing.T, f *fakeSQS, name string, opts ProducerOptions) *Producer {
	t.Helper()
	p, err := NewProducer(f.client(), f.url(name), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close(context.Background()) })
	return p
}

// sendAll sends msgs concurrently and returns each one's error.
func sendAll(t *testing.T, p *Producer, msgs []Message) []error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	errs := make([]error, len(msgs))
	var wg sync.WaitGroup
	for i, m := range msgs {
		wg.Go(func() { _, errs[i] = p.Send(ctx, m) })
	}
	wg.Wait()
	return errs
}

func bodies(n, size int) []Message {
	msgs := make([]Message, n)
	for i := range msgs {
		msgs[i] = Message{Body: strings.Repeat(string(rune('a'+i%26)), size)}
	}
	return msgs
}

func TestEleventhEntryStartsASecondRequest(t *testing.T) {
	f := newFakeSQS(t)
	// A long linger: only the 10-entry limit and Close may cut a batch.
	p := newTestProducer(t, f, "q", ProducerOptions{Linger: time.Hour, MaxInFlight: 1})
	pend := make([]*Pending, 11)
	for i, m := range bodies(11, 10) {
		var err error
		if pend[i], err = p.SendAsync(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := pend[0].Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if calls := f.calls(); len(calls) != 1 || len(calls[0]) != 10 {
		t.Fatalf("first 10: want one request of 10, got %d requests", len(calls))
	}
	select {
	case <-pend[10].Done():
		t.Fatal("the 11th message left before its linger or Close")
	case <-time.After(50 * time.Millisecond):
	}
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := pend[10].Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if calls := f.calls(); len(calls) != 2 || len(calls[1]) != 1 {
		t.Fatalf("want requests of 10 and 1, got %v", sizes(calls))
	}
}

func sizes(calls [][]fakeEntry) []int {
	n := make([]int, len(calls))
	for i, c := range calls {
		n[i] = len(c)
	}
	return n
}

func TestBatchesStopAtOneMiB(t *testing.T) {
	const half = MaxPayload / 2
	attr := map[string]Attribute{"k": StringAttr("v")} // 1 + 6 + 1 = 8 bytes
	cases := []struct {
		name  string
		msgs  []Message
		calls []int
	}{
		{"two halves fill 1 MiB exactly", []Message{{Body: strings.Repeat("a", half)}, {Body: strings.Repeat("b", half)}}, []int{2}},
		{"one byte over splits", []Message{{Body: strings.Repeat("a", half)}, {Body: strings.Repeat("b", half+1)}}, []int{1, 1}},
		{"attributes count", []Message{{Body: strings.Repeat("a", half)}, {Body: strings.Repeat("b", half-7), Attributes: attr}}, []int{1, 1}},
		{"attributes that fit", []Message{{Body: strings.Repeat("a", half)}, {Body: strings.Repeat("b", half-8), Attributes: attr}}, []int{2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeSQS(t)
			p := newTestProducer(t, f, "q", ProducerOptions{Linger: time.Hour, MaxInFlight: 1})
			var pend []*Pending
			for _, m := range c.msgs {
				pd, err := p.SendAsync(context.Background(), m)
				if err != nil {
					t.Fatal(err)
				}
				pend = append(pend, pd)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := p.Close(ctx); err != nil {
				t.Fatal(err)
			}
			for _, pd := range pend {
				if _, err := pd.Wait(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if got := sizes(f.calls()); !equal(got, c.calls) {
				t.Fatalf("requests of %v entries, want %v", got, c.calls)
			}
		})
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestOverSizedMessageIsRefused(t *testing.T) {
	p := newTestProducer(t, newFakeSQS(t), "q", ProducerOptions{})
	_, err := p.Send(context.Background(), Message{Body: strings.Repeat("a", MaxPayload-2), Attributes: map[string]Attribute{"k": StringAttr("v")}})
	if err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("want a size error, got %v", err)
	}
}

func TestPartialBatchFailureReachesItsCaller(t *testing.T) {
	f := newFakeSQS(t)
	f.failSend = func(e fakeEntry) string {
		if strings.HasPrefix(e.MessageBody, "bad") {
			return "InvalidMessageContents"
		}
		return ""
	}
	p := newTestProducer(t, f, "q", ProducerOptions{Linger: 50 * time.Millisecond})
	msgs := []Message{{Body: "ok0"}, {Body: "bad1"}, {Body: "ok2"}, {Body: "bad3"}, {Body: "ok4"}}
	errs := sendAll(t, p, msgs)
	if n := len(f.calls()); n != 1 {
		t.Fatalf("want one request, got %d", n)
	}
	for i, err := range errs {
		var entryErr *EntryError
		bad := strings.HasPrefix(msgs[i].Body, "bad")
		switch {
		case bad && (!errors.As(err, &entryErr) || entryErr.Code != "InvalidMessageContents" || !entryErr.SenderFault):
			t.Errorf("%s: want its EntryError, got %v", msgs[i].Body, err)
		case !bad && err != nil:
			t.Errorf("%s: want success, got %v", msgs[i].Body, err)
		}
	}
}

func TestFailedCallFailsEveryEntry(t *testing.T) {
	f := newFakeSQS(t)
	f.failCall = func(string) int { return 500 }
	p := newTestProducer(t, f, "q", ProducerOptions{})
	for i, err := range sendAll(t, p, bodies(3, 5)) {
		if err == nil || !strings.Contains(err.Error(), "SendMessageBatch") {
			t.Errorf("message %d: want the call's error, got %v", i, err)
		}
	}
}

func TestPendingBytesPushBack(t *testing.T) {
	f := newFakeSQS(t)
	f.sendHold = make(chan struct{})
	p := newTestProducer(t, f, "q", ProducerOptions{MaxBytes: 1000, MaxPendingBytes: 3100, Linger: time.Millisecond})
	// 1000 + 512 overhead each: two fit in 3100 bytes, a third must wait.
	for range 2 {
		if _, err := p.SendAsync(context.Background(), Message{Body: strings.Repeat("x", 1000)}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := p.SendAsync(ctx, Message{Body: strings.Repeat("x", 1000)}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("third message: want to wait for room, got %v", err)
	}
	close(f.sendHold)
	ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	if _, err := p.Send(ctx2, Message{Body: strings.Repeat("x", 1000)}); err != nil {
		t.Fatalf("after the requests returned: %v", err)
	}
}

func TestFIFOIdsAttributesAndTraceHeaderAreSent(t *testing.T) {
	f := newFakeSQS(t)
	p := newTestProducer(t, f, "q.fifo", ProducerOptions{})
	if p.opts.MaxInFlight != 1 {
		t.Fatalf("FIFO queue: MaxInFlight %d, want 1", p.opts.MaxInFlight)
	}
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{0x5f, 0x1e, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}, SpanID: trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8},
		TraceFlags: trace.FlagsSampled,
	})
	ctx := trace.ContextWithSpanContext(context.Background(), sc)
	_, err := p.Send(ctx, Message{Body: "b", GroupID: "g1", DedupID: "d1", Attributes: map[string]Attribute{"n": NumberAttr(7), "bin": BinaryAttr([]byte{0, 1})}})
	if err != nil {
		t.Fatal(err)
	}
	e := f.calls()[0][0]
	if e.MessageGroupId != "g1" || e.MessageDeduplicationId != "d1" {
		t.Fatalf("ids: %+v", e)
	}
	if a := e.MessageAttributes["n"]; a.DataType != "Number" || a.StringValue != "7" {
		t.Fatalf("number attribute: %+v", a)
	}
	if a := e.MessageAttributes["bin"]; a.DataType != "Binary" || string(a.BinaryValue) != "\x00\x01" {
		t.Fatalf("binary attribute: %+v", a)
	}
	const want = "Root=1-5f1e0001-02030405060708090a0b0c0d;Parent=0102030405060708;Sampled=1"
	if got := e.MessageSystemAttributes[traceHeaderName].StringValue; got != want {
		t.Fatalf("AWSTraceHeader %q, want %q", got, want)
	}
	if _, ok := e.MessageAttributes[traceHeaderName]; ok {
		t.Fatal("the trace header leaked into the user's attributes")
	}
	back, ok := spanContextFrom(want)
	if !ok || back.TraceID() != sc.TraceID() || back.SpanID() != sc.SpanID() || !back.IsSampled() {
		t.Fatalf("parsed back %v, want %v", back, sc)
	}
}

func TestLingerSendsAPartialBatch(t *testing.T) {
	f := newFakeSQS(t)
	p := newTestProducer(t, f, "q", ProducerOptions{Linger: 20 * time.Millisecond})
	began := time.Now()
	if _, err := p.Send(context.Background(), Message{Body: "one"}); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took < 20*time.Millisecond || took > 2*time.Second {
		t.Fatalf("a lone message took %v, want the 20ms linger", took)
	}
}
