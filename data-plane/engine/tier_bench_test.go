package engine_test

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/internal/kv/local"
)

// tierBenchMessages is the backlog each run of the tier benchmarks builds.
const tierBenchMessages = 20_000

// BenchmarkColdStorage reports what a cold message costs the store: the
// bytes of its record and index entry as written (keys plus values), and
// the bytes on disk per message once Pebble has compacted them (keys share
// prefixes, blocks are compressed), against the same backlog kept hot.
func BenchmarkColdStorage(b *testing.B) {
	for b.Loop() {
		hotDisk, _ := storageCost(b, false)
		coldDisk, rb := storageCost(b, true)
		b.ReportMetric(float64(rb.ColdOverhead+rb.IndexBytes)/tierBenchMessages, "kv-B/cold-msg")
		b.ReportMetric(coldDisk/tierBenchMessages, "disk-B/cold-msg")
		b.ReportMetric(hotDisk/tierBenchMessages, "disk-B/hot-msg")
	}
}

// storageCost builds the backlog, cold or hot, and returns the disk bytes
// it adds to an empty compacted store, and its record bytes.
func storageCost(b *testing.B, cold bool) (float64, engine.RecordBytes) {
	store, err := local.Open(filepath.Join(b.TempDir(), "kv"), local.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	clock := newFakeClock()
	e := newTierEngine(b, store, clock.Now, engine.TieringOptions{Blobs: openFSBlobsB(b)})
	r := mustCreate(b, e, "q", nil)
	if err := store.Compact(ctx); err != nil {
		b.Fatal(err)
	}
	empty := store.TableBytes()
	sendBacklogBodies(b, e, r, 0, tierBenchMessages)
	if cold {
		clock.Advance(time.Hour)
		mustTier(b, e)
	}
	if err := e.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	rb := recordBytes(b, e, r)
	if cold && rb.Cold != tierBenchMessages {
		b.Fatalf("%d of %d cold", rb.Cold, tierBenchMessages)
	}
	if err := store.Compact(ctx); err != nil {
		b.Fatal(err)
	}
	return float64(store.TableBytes() - empty), rb
}

// BenchmarkColdDrain drains a backlog of 1 KiB messages whose bodies are
// hot, then the same backlog cold (segments on the fs blob store, read
// through a fresh node's cache), with 4 consumers receiving and deleting
// 10 at a time, and reports both rates and cold/hot.
func BenchmarkColdDrain(b *testing.B) {
	for b.Loop() {
		hot := drainRate(b, false)
		cold := drainRate(b, true)
		b.ReportMetric(hot, "hot-msgs/s")
		b.ReportMetric(cold, "cold-msgs/s")
		b.ReportMetric(cold/hot, "cold/hot")
	}
}

func drainRate(b *testing.B, cold bool) float64 {
	store, err := local.Open(filepath.Join(b.TempDir(), "kv"), local.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	blobs := openFSBlobsB(b)
	clock := newFakeClock()
	e := newTierEngine(b, store, clock.Now, engine.TieringOptions{Blobs: blobs})
	r := mustCreate(b, e, "q", nil)
	sendBacklogBodies(b, e, r, 0, tierBenchMessages)
	clock.Advance(time.Hour)
	if cold {
		mustTier(b, e)
	}
	if err := e.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	// A fresh node: nothing of the backlog cached.
	e = newTierEngine(b, store, clock.Now, engine.TieringOptions{Blobs: blobs})
	start := time.Now()
	var wg sync.WaitGroup
	zero := 0
	for range 4 {
		wg.Go(func() {
			for {
				msgs, err := e.ReceiveMessage(ctx, r, engine.ReceiveInput{MaxNumberOfMessages: 10, WaitTimeSeconds: &zero})
				if err != nil {
					b.Error(err)
					return
				}
				if len(msgs) == 0 {
					return
				}
				handles := make([]string, len(msgs))
				for i, m := range msgs {
					handles[i] = m.ReceiptHandle
				}
				if _, err := e.DeleteMessageBatch(ctx, r, handles); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	rate := tierBenchMessages / time.Since(start).Seconds()
	if st := storage(b, e, r); st.Messages != 0 {
		b.Fatalf("%d messages left after the drain", st.Messages)
	}
	return rate
}
