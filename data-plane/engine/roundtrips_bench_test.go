package engine_test

import (
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

// BenchmarkStoreRoundTrips counts the requests the tikv driver sends to the
// (mock) store per message, by kind, for each step of a message's life
// with one client at a time: SendMessageBatch of 10, ReceiveMessage of 10,
// DeleteMessageBatch of 10; on a standard queue, and on a FIFO queue with
// each batch a group of its own. Each request is a network round trip on
// a real cluster (docs/architecture.md §3). The mock falls back from 1PC
// and async commit to two-phase commit, so a cluster needs fewer Commit
// requests than counted here. b.N is messages.
func BenchmarkStoreRoundTrips(b *testing.B) {
	b.Run("queue=standard", func(b *testing.B) {
		in := batchOf(10)
		benchmarkStoreRoundTrips(b, "q", nil, func(int) []engine.SendInput { return in })
	})
	b.Run("queue=fifo", func(b *testing.B) {
		benchmarkStoreRoundTrips(b, "q.fifo", map[string]string{"FifoQueue": "true"}, func(i int) []engine.SendInput {
			in := batchOf(10)
			group := fmt.Sprintf("g%d", i)
			for j := range in {
				dedup := fmt.Sprintf("%d-%d", i, j)
				in[j].MessageGroupID, in[j].DeduplicationID = &group, &dedup
			}
			return in
		})
	})
}

// benchmarkStoreRoundTrips sends batchAt(i) as the i-th batch of 10.
func benchmarkStoreRoundTrips(b *testing.B, name string, attrs map[string]string, batchAt func(i int) []engine.SendInput) {
	const batch = 10
	store, counts := kvtest.OpenMockTiKVCounted(b)
	e := newEngine(b, store, time.Now)
	q := mustCreate(b, e, name, attrs)
	n := (b.N + batch - 1) / batch * batch
	sent := 0
	phase := func(name string, step func() error) {
		before := counts.Snapshot()
		for i := 0; i < n; i += batch {
			if err := step(); err != nil {
				b.Fatalf("%s: %v", name, err)
			}
		}
		after := counts.Snapshot()
		total := int64(0)
		for _, kind := range slices.Sorted(maps.Keys(after)) {
			d := after[kind] - before[kind]
			if d == 0 {
				continue
			}
			total += d
			b.ReportMetric(float64(d)/float64(n), name+"-"+kind+"/msg")
		}
		b.ReportMetric(float64(total)/float64(n), name+"-rpc/msg")
	}
	var handles []string
	b.ResetTimer()
	phase("send", func() error {
		_, err := e.SendMessageBatch(ctx, q, batchAt(sent))
		sent++
		return err
	})
	phase("receive", func() error {
		msgs, err := e.ReceiveMessage(ctx, q, engine.ReceiveInput{MaxNumberOfMessages: batch, WaitTimeSeconds: intp(0)})
		for _, m := range msgs {
			handles = append(handles, m.ReceiptHandle)
		}
		return err
	})
	if len(handles) != n {
		b.Fatalf("received %d of %d messages", len(handles), n)
	}
	phase("delete", func() error {
		_, err := e.DeleteMessageBatch(ctx, q, handles[:batch])
		handles = handles[batch:]
		return err
	})
}

// BenchmarkStoreRoundTripsContended counts the tikv driver's requests per
// delivered message under BenchmarkPipeline's load (8 producers, 8
// consumers, batches of 10, a standing backlog): receivers contend for
// shards and locks, which is what a claim's window is for. b.N is
// messages delivered.
func BenchmarkStoreRoundTripsContended(b *testing.B) {
	store, counts := kvtest.OpenMockTiKVCounted(b)
	e := newEngine(b, store, time.Now)
	var before map[string]int64
	benchmarkPipeline(b, e, 2000, func() { before = counts.Snapshot() })
	after := counts.Snapshot()
	total := int64(0)
	for _, kind := range slices.Sorted(maps.Keys(after)) {
		d := after[kind] - before[kind]
		total += d
		if d != 0 {
			b.ReportMetric(float64(d)/float64(b.N), kind+"/msg")
		}
	}
	b.ReportMetric(float64(total)/float64(b.N), "rpc/msg")
}

// BenchmarkStoreRoundTripsContendedReceive is BenchmarkStoreRoundTrips' receive
// with eight receivers at once on the queue, where claims meet each
// other's locks: it reports requests by kind per delivered message,
// failed lock requests and the rollbacks and lock checks they cause
// included. b.N is messages.
func BenchmarkStoreRoundTripsContendedReceive(b *testing.B) {
	const batch, receivers = 10, 8
	store, counts := kvtest.OpenMockTiKVCounted(b)
	e := newEngine(b, store, time.Now)
	q := mustCreate(b, e, "q", nil)
	n := (b.N + batch - 1) / batch * batch
	in := batchOf(batch)
	for i := 0; i < n; i += batch {
		if _, err := e.SendMessageBatch(ctx, q, in); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	before := counts.Snapshot()
	var received atomic.Int64
	var wg sync.WaitGroup
	for range receivers {
		wg.Go(func() {
			for received.Load() < int64(n) {
				msgs, err := e.ReceiveMessage(ctx, q, engine.ReceiveInput{MaxNumberOfMessages: batch, WaitTimeSeconds: intp(0)})
				if err != nil {
					b.Error(err)
					return
				}
				received.Add(int64(len(msgs)))
			}
		})
	}
	wg.Wait()
	after := counts.Snapshot()
	got := received.Load()
	if got != int64(n) {
		b.Fatalf("received %d of %d messages", got, n)
	}
	total := int64(0)
	for _, kind := range slices.Sorted(maps.Keys(after)) {
		if d := after[kind] - before[kind]; d > 0 {
			total += d
			b.ReportMetric(float64(d)/float64(got), "receive-"+kind+"/msg")
		}
	}
	b.ReportMetric(float64(total)/float64(got), "receive-rpc/msg")
}
