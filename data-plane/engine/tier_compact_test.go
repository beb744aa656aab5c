package engine_test

import (
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

// Receives go on while the shard's lease holder compacts a segment whose
// live messages they are claiming: compaction must not hold the records a
// receiver wants (TiKV prewrite locks) for long, nor retry a whole
// segment's rewrite against every claim.
func TestTierCompactionDoesNotStallReceives(t *testing.T) {
	if testing.Short() {
		t.Skip("sends a few thousand messages")
	}
	const total, deleted, consumers = 2400, 1300, 4
	store := kvtest.OpenMockTiKV(t)
	blobs := openFSBlobs(t)
	clock := newFakeClock()
	opts := tierOptions(blobs)
	opts.SegmentRecords = 4096
	e := newTierEngineShards(t, store, clock.Now, opts, 1)
	r := mustCreate(t, e, "compact-live", map[string]string{"VisibilityTimeout": "600"})
	for i := 0; i < total; i += 10 {
		batch := make([]engine.SendInput, 10)
		for j := range batch {
			batch[j] = engine.SendInput{Body: fmt.Sprintf("message %d %0200d", i+j, i+j)}
		}
		if _, err := e.SendMessageBatch(ctx, r, batch); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(11 * time.Minute)
	mustTier(t, e)
	if segs := listSegments(t, blobs); len(segs) != 1 {
		t.Fatalf("%d segments, want 1", len(segs))
	}
	for gone := 0; gone < deleted; {
		msgs := receive(t, e, r, min(10, deleted-gone))
		handles := make([]string, len(msgs))
		for i, m := range msgs {
			handles[i] = m.ReceiptHandle
		}
		if _, err := e.DeleteMessageBatch(ctx, r, handles); err != nil {
			t.Fatal(err)
		}
		gone += len(msgs)
	}
	live := total - deleted
	if st := storage(t, e, r); st.Messages != int64(live) || st.Segments != 1 {
		t.Fatalf("before compaction: %+v", st)
	}

	// Compact while 4 consumers drain the live messages.
	var (
		got       atomic.Int64
		mu        sync.Mutex
		latencies []time.Duration
		empties   atomic.Int64
		wg        sync.WaitGroup
	)
	compacted := make(chan error, 1)
	start := time.Now()
	go func() { compacted <- e.Tier(ctx) }()
	deadline := start.Add(3 * time.Minute)
	for range consumers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			zero := 0
			for got.Load() < int64(live) && time.Now().Before(deadline) {
				t0 := time.Now()
				msgs, err := e.ReceiveMessage(ctx, r, engine.ReceiveInput{MaxNumberOfMessages: 10, WaitTimeSeconds: &zero})
				d := time.Since(t0)
				if err != nil {
					t.Errorf("receive: %v", err)
					return
				}
				mu.Lock()
				latencies = append(latencies, d)
				mu.Unlock()
				if len(msgs) == 0 {
					empties.Add(1)
				}
				got.Add(int64(len(msgs)))
			}
		}()
	}
	wg.Wait()
	drain := time.Since(start)
	err := <-compacted
	compactTime := time.Since(start)
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	maxLat := latencies[len(latencies)-1]
	p99 := latencies[len(latencies)*99/100]
	t.Logf("live %d: drained %d in %v; %d receives (%d empty), p99 %v, max %v; compaction %v (err %v), %d transaction attempts, at most %d records each",
		live, got.Load(), drain, len(latencies), empties.Load(), p99, maxLat, compactTime, err, e.CompactTxns(), e.CompactMaxTxn())
	if got.Load() != int64(live) {
		t.Fatalf("received %d of %d", got.Load(), live)
	}
	if maxLat > 5*time.Second {
		t.Errorf("a receive took %v during compaction", maxLat)
	}
	if n := e.CompactMaxTxn(); n == 0 || n > 128 {
		t.Errorf("a compaction transaction rewrote %d records, want 1 to 128", n)
	}
	// The next pass retires the old segment once every record moved.
	mustTier(t, e)
	if st := storage(t, e, r); st.Segments != 1 || st.Messages != int64(live) {
		t.Errorf("after compaction: %+v", st)
	}
}
