package meter_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/billing/meter"
	"github.com/sluice-mq/sluice/billing/usage"
	"github.com/sluice-mq/sluice/data-plane/admission"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

const acct = "111111111111"

var t0 = time.Date(2025, 3, 4, 10, 20, 0, 0, time.UTC)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func read(t *testing.T, s kv.Store, byQueue bool) map[usage.Quantity]int64 {
	t.Helper()
	var qs []usage.Quantity
	err := s.View(context.Background(), func(r kv.Reader) error {
		var err error
		qs, err = usage.Quantities(context.Background(), r, acct, t0.Add(-24*time.Hour), t0.Add(24*time.Hour), byQueue)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	out := map[usage.Quantity]int64{}
	for _, q := range qs {
		a := q.Amount
		q.Amount = 0
		out[q] += a
	}
	return out
}

func req(queueType, class string) usage.Quantity {
	return usage.Quantity{Meter: usage.Requests, QueueType: queueType, Class: class}
}

func TestUnits(t *testing.T) {
	for _, c := range []struct{ bytes, units int64 }{
		{0, 1}, {1, 1}, {65536, 1}, {65537, 2}, {256 << 10, 4}, {1 << 20, 16},
	} {
		if got := meter.Units(c.bytes); got != c.units {
			t.Errorf("Units(%d) = %d, want %d", c.bytes, got, c.units)
		}
	}
}

func TestCountClassesTypesAndThrottled(t *testing.T) {
	s := kvtest.OpenLocal(t)
	clk := &fakeClock{t: t0}
	m := meter.New(meter.Options{Store: s, Clock: clk.Now})
	u := func(action, queue string, in, out int64) admission.Usage {
		return admission.Usage{Action: action, Account: acct, Region: "us-east-1", Queue: queue, InBytes: in, OutBytes: out}
	}
	m.Count(u("SendMessage", "q", 1, 0))
	m.Count(u("SendMessage", "q", 65536, 0))
	m.Count(u("SendMessageBatch", "q", 65537, 0))
	m.Count(u("SendMessage", "q.fifo", 1<<20, 0))
	m.Count(u("ReceiveMessage", "q", 0, 0))     // empty receive
	m.Count(u("ReceiveMessage", "q", 0, 70000)) // 2 units
	m.Count(u("DeleteMessage", "q", 0, 0))      // delete
	m.Count(u("ChangeMessageVisibility", "q", 0, 0))
	m.Count(u("ListQueues", "", 0, 0)) // admin, no queue: standard
	m.Count(u("GetQueueAttributes", "q.fifo", 0, 0))
	th := u("SendMessage", "q.fifo", 0, 0)
	th.Throttled = true
	m.Count(th)
	m.Count(admission.Usage{Action: "SendMessage", Account: acct, Unauthenticated: true})
	if err := m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := read(t, s, false)
	want := map[usage.Quantity]int64{
		req(usage.Standard, usage.Send):                         1 + 1 + 2,
		req(usage.FIFO, usage.Send):                             16,
		req(usage.Standard, usage.Receive):                      1 + 2,
		req(usage.Standard, usage.Delete):                       2,
		req(usage.Standard, usage.Admin):                        1,
		req(usage.FIFO, usage.Admin):                            1,
		{Meter: usage.ThrottledRequests, QueueType: usage.FIFO}: 1,
		{Meter: usage.UnauthenticatedRequests}:                  1,
		{Meter: usage.IngressBytes}:                             1 + 65536 + 65537 + 1<<20,
		{Meter: usage.EgressBytes}:                              70000,
	}
	equal(t, got, want)
}

func equal(t *testing.T, got, want map[usage.Quantity]int64) {
	t.Helper()
	for q, a := range want {
		if got[q] != a {
			t.Errorf("%+v = %d, want %d", q, got[q], a)
		}
	}
	for q, a := range got {
		if _, ok := want[q]; !ok {
			t.Errorf("unexpected %+v = %d", q, a)
		}
	}
}

func send(m *meter.Meter, n int) {
	for range n {
		m.Count(admission.Usage{Action: "SendMessage", Account: acct, Region: "r", Queue: "q", InBytes: 10})
	}
}

func sends(t *testing.T, s kv.Store) int64 {
	return read(t, s, false)[req(usage.Standard, usage.Send)]
}

// Flushing the same counters again, or retrying, counts once; two nodes
// add up; a restarted node (new incarnation) adds, never overwrites.
func TestFlushIsIdempotentAndNodesAdd(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, s kv.Store) {
		ctx := context.Background()
		clk := &fakeClock{t: t0}
		a := meter.New(meter.Options{Store: s, Clock: clk.Now})
		b := meter.New(meter.Options{Store: s, Clock: clk.Now})
		send(a, 5)
		send(b, 7)
		for range 3 {
			if err := a.Flush(ctx); err != nil {
				t.Fatal(err)
			}
		}
		send(a, 1) // dirty again: the rewrite carries the cumulative 6
		for range 2 {
			if err := a.Flush(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Close(ctx); err != nil {
			t.Fatal(err)
		}
		if got := sends(t, s); got != 13 {
			t.Fatalf("two nodes: %d sends, want 13", got)
		}
		// a's record written again by hand (a retried transaction) changes nothing.
		var k, v []byte
		err := s.View(ctx, func(r kv.Reader) error {
			kvs, err := r.Scan(ctx, usage.RecordsPrefix(), nil, 0)
			for _, p := range kvs {
				if ref, _ := usage.ParseRecordKey(p.Key); ref.Incarnation == a.Incarnation() {
					k, v = p.Key, p.Value
				}
			}
			return err
		})
		if err != nil || k == nil {
			t.Fatal(err, k)
		}
		if err := s.Update(ctx, func(tx kv.Txn) error { return tx.Set(k, v) }); err != nil {
			t.Fatal(err)
		}
		if got := sends(t, s); got != 13 {
			t.Fatalf("after a rewrite: %d sends, want 13", got)
		}
		// A restart: a new meter, a new incarnation.
		a2 := meter.New(meter.Options{Store: s, Clock: clk.Now})
		send(a2, 2)
		if err := a2.Close(ctx); err != nil {
			t.Fatal(err)
		}
		if got := sends(t, s); got != 15 {
			t.Fatalf("after a restart: %d sends, want 15", got)
		}
	})
}

// Close flushes everything; a meter dropped without Close (kill -9) loses
// exactly what it counted since its last flush.
func TestCrashBound(t *testing.T) {
	ctx := context.Background()
	s := kvtest.OpenLocal(t)
	clk := &fakeClock{t: t0}
	m := meter.New(meter.Options{Store: s, Clock: clk.Now})
	send(m, 40)
	if err := m.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	send(m, 9) // never flushed: the node dies
	if got := sends(t, s); got != 40 {
		t.Fatalf("dropped meter: %d sends, want the flushed 40", got)
	}
	m2 := meter.New(meter.Options{Store: s, Clock: clk.Now})
	send(m2, 3)
	clk.Advance(time.Hour) // into the next hour
	send(m2, 4)
	if err := m2.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := sends(t, s); got != 47 {
		t.Fatalf("after a graceful close: %d sends, want 47", got)
	}
}

// Run flushes on its own within the interval.
func TestRunFlushes(t *testing.T) {
	s := kvtest.OpenLocal(t)
	m := meter.New(meter.Options{Store: s, Interval: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m.Start(ctx)
	m.Count(admission.Usage{Action: "SendMessage", Account: acct, Region: "r", Queue: "q"})
	deadline := time.Now().Add(5 * time.Second)
	for {
		var n int
		_ = s.View(ctx, func(r kv.Reader) error {
			kvs, err := r.Scan(ctx, usage.RecordsPrefix(), nil, 0)
			n = len(kvs)
			return err
		})
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no record flushed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := m.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkCount(b *testing.B) {
	m := meter.New(meter.Options{Store: nil})
	u := admission.Usage{Action: "SendMessage", Account: acct, Region: "us-east-1", Queue: "orders", InBytes: 1000}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Count(u)
		}
	})
}
