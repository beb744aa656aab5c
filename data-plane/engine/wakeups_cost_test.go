package engine_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

// storeOps counts what an engine asks of its store: transactions, reads
// inside them, and updates that wrote.
type storeOps struct {
	kv.Store
	txns, reads, writes atomic.Int64
	views               atomic.Int64 // read-only transactions, of txns
	floorWrites         atomic.Int64 // scan floors set
}

type storeOpsSnapshot struct{ txns, reads, writes int64 }

func (s *storeOps) snapshot() storeOpsSnapshot {
	return storeOpsSnapshot{s.txns.Load(), s.reads.Load(), s.writes.Load()}
}

func (s *storeOps) View(ctx context.Context, fn func(kv.Reader) error) error {
	s.txns.Add(1)
	s.views.Add(1)
	return s.Store.View(ctx, func(r kv.Reader) error { return fn(countingReader{r, &s.reads}) })
}

func (s *storeOps) Update(ctx context.Context, fn func(kv.Txn) error) error {
	s.txns.Add(1)
	return s.Store.Update(ctx, func(tx kv.Txn) error {
		c := &countingTxn{Txn: tx, ops: s}
		err := fn(c)
		if err == nil && c.wrote {
			s.writes.Add(1)
		}
		return err
	})
}

type countingReader struct {
	kv.Reader
	reads *atomic.Int64
}

func (r countingReader) Get(ctx context.Context, key []byte) ([]byte, error) {
	r.reads.Add(1)
	return r.Reader.Get(ctx, key)
}

func (r countingReader) BatchGet(ctx context.Context, keys [][]byte) (map[string][]byte, error) {
	r.reads.Add(1)
	return r.Reader.BatchGet(ctx, keys)
}

func (r countingReader) Scan(ctx context.Context, start, end []byte, limit int) ([]kv.KV, error) {
	r.reads.Add(1)
	return r.Reader.Scan(ctx, start, end, limit)
}

func (r countingReader) ReverseScan(ctx context.Context, start, end []byte, limit int) ([]kv.KV, error) {
	r.reads.Add(1)
	return r.Reader.ReverseScan(ctx, start, end, limit)
}

type countingTxn struct {
	kv.Txn
	ops   *storeOps
	wrote bool
}

func (t *countingTxn) Get(ctx context.Context, key []byte) ([]byte, error) {
	t.ops.reads.Add(1)
	return t.Txn.Get(ctx, key)
}

func (t *countingTxn) BatchGet(ctx context.Context, keys [][]byte) (map[string][]byte, error) {
	t.ops.reads.Add(1)
	return t.Txn.BatchGet(ctx, keys)
}

func (t *countingTxn) Scan(ctx context.Context, start, end []byte, limit int) ([]kv.KV, error) {
	t.ops.reads.Add(1)
	return t.Txn.Scan(ctx, start, end, limit)
}

func (t *countingTxn) ReverseScan(ctx context.Context, start, end []byte, limit int) ([]kv.KV, error) {
	t.ops.reads.Add(1)
	return t.Txn.ReverseScan(ctx, start, end, limit)
}

func (t *countingTxn) Set(key, value []byte) error {
	t.wrote = true
	// Q/{did}/f/{shard} (keys.go)
	if len(key) == 2+16+4 && string(key[:2]) == "Q/" && string(key[18:21]) == "/f/" {
		t.ops.floorWrites.Add(1)
	}
	return t.Txn.Set(key, value)
}

func (t *countingTxn) Delete(key []byte) error { t.wrote = true; return t.Txn.Delete(key) }

// idleCost is what a node spent per second while its long polls waited.
type idleCost struct {
	txns, reads, writes float64 // per second
	cpu                 float64 // share of one core, from getrusage
}

func (c idleCost) String() string {
	return fmt.Sprintf("%.1f txn/s, %.1f reads/s, %.1f writing txn/s, %.2f%% of a core", c.txns, c.reads, c.writes, 100*c.cpu)
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measureIdleLongPolls starts one long poll (20 s) on each of n empty
// queues of a started engine with the default PollInterval, lets them
// settle, and measures the store work and CPU over window.
func measureIdleLongPolls(tb testing.TB, store kv.Store, n int, window time.Duration) idleCost {
	tb.Helper()
	ops := &storeOps{Store: store}
	e, err := engine.New(ops, engine.Options{ReceiptKey: receiptKey})
	if err != nil {
		tb.Fatal(err)
	}
	defer func() { _ = e.Close() }()
	queues := make([]queues.Ref, n)
	for i := range queues {
		queues[i] = mustCreate(tb, e, fmt.Sprintf("idle-%d", i), nil)
	}
	runCtx, stop := context.WithCancel(context.Background())
	e.Start(runCtx)
	defer stop()

	pollCtx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var failed atomic.Value
	for _, q := range queues {
		wg.Add(1)
		go func() {
			defer wg.Done()
			msgs, err := e.ReceiveMessage(pollCtx, q, engine.ReceiveInput{WaitTimeSeconds: intp(20)})
			if err != nil && pollCtx.Err() == nil || len(msgs) > 0 {
				failed.Store(fmt.Sprintf("receive: %v %v", msgs, err))
			}
		}()
	}
	defer func() { cancel(); wg.Wait() }()
	// Past the first flush of the created queues and every poll's start.
	time.Sleep(2 * time.Second)

	before, cpuBefore, start := ops.snapshot(), cpuTime(), time.Now()
	time.Sleep(window)
	after, cpuAfter, secs := ops.snapshot(), cpuTime(), time.Since(start).Seconds()
	if f := failed.Load(); f != nil {
		tb.Fatal(f)
	}
	return idleCost{
		txns:   float64(after.txns-before.txns) / secs,
		reads:  float64(after.reads-before.reads) / secs,
		writes: float64(after.writes-before.writes) / secs,
		cpu:    (cpuAfter - cpuBefore).Seconds() / secs,
	}
}

// Idle long polls cost a node a bounded amount of store work whatever
// their number: 200 waiting receivers (each on its own empty queue) may
// not cost more than 5 do, plus a small constant. Before the waiters were
// coalesced, each re-read its queue every PollInterval: about 10
// transactions and 90 reads a second per waiter, and the floors their
// scans raised were rewritten every second (8 writes per queue).
func TestIdleLongPollsStoreWorkIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("measures idle long polls for several seconds")
	}
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		few := measureIdleLongPolls(t, store, 5, 2*time.Second)
		many := measureIdleLongPolls(t, store, 200, 2*time.Second)
		t.Logf("5 waiters: %v", few)
		t.Logf("200 waiters: %v", many)
		const slack = 10 // per second: background loops that tick on their own
		if many.txns > few.txns+slack || many.reads > few.reads+4*slack || many.writes > few.writes+1 {
			t.Errorf("200 idle waiters cost %v; 5 cost %v", many, few)
		}
	})
}

// BenchmarkIdleLongPolls measures the store work and CPU of 2,000 idle
// long polls, one per empty queue, on one node over the local store.
func BenchmarkIdleLongPolls(b *testing.B) {
	for range b.N {
		c := measureIdleLongPolls(b, kvtest.OpenLocal(b), 2000, 5*time.Second)
		b.ReportMetric(c.txns, "txn/s")
		b.ReportMetric(c.reads, "reads/s")
		b.ReportMetric(c.writes, "writes/s")
		b.ReportMetric(100*c.cpu, "%cpu")
	}
}
