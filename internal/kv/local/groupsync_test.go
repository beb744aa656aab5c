package local_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/local"
	"github.com/sluice-mq/sluice/internal/kv/local/localfault"
)

// TestManyWritersShareLogSyncs: durable commits from 8 writers share the
// write-ahead log's syncs, spaced by GroupSyncInterval (5 ms here), on a
// file system whose sync takes 300 µs: without the spacing the log syncs
// as soon as the last sync ends, about three times a millisecond.
func TestManyWritersShareLogSyncs(t *testing.T) {
	const interval = 5 * time.Millisecond
	s, counted := openSyncCounted(t, interval)
	syncs, elapsed := durableCommits(t, s, counted, 8, 50)
	// A few syncs go unspaced: the first, and those once fewer than four
	// writers are left.
	if bound := int64(elapsed/interval) + 8; syncs > bound {
		t.Errorf("%d log syncs in %s: want at most %d, one each %s and a few more", syncs, elapsed, bound, interval)
	}
}

// TestALoneWriterIsNotMadeToWait: a writer committing alone gets a sync of
// its own for every commit, at once: spacing syncs for it would add the
// interval to every commit (a third of workload a's throughput).
func TestALoneWriterIsNotMadeToWait(t *testing.T) {
	const interval = 5 * time.Millisecond
	s, counted := openSyncCounted(t, interval)
	const commits = 100
	syncs, elapsed := durableCommits(t, s, counted, 1, commits)
	if syncs < commits || elapsed > commits*interval/2 {
		t.Errorf("%d commits alone: %d log syncs in %s; want one a commit, without waiting %s for each", commits, syncs, elapsed, interval)
	}
}

// openSyncCounted opens a store spacing syncs by interval on an in-memory
// file system whose log syncs are counted and take 300 µs each.
func openSyncCounted(t *testing.T, interval time.Duration) (*local.Store, *atomic.Int64) {
	t.Helper()
	syncs := new(atomic.Int64)
	fs := &localfault.WALSyncFS{FS: vfs.NewMem(), BeforeSync: func() {
		syncs.Add(1)
		time.Sleep(300 * time.Microsecond)
	}}
	s, err := local.Open("kv", local.Options{FS: fs, ReserveBytes: -1, GroupSyncInterval: interval})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, syncs
}

// durableCommits runs writers goroutines of commits durable Updates each,
// and returns the log syncs they caused and how long they took.
func durableCommits(t *testing.T, s *local.Store, syncCount *atomic.Int64, writers, commits int) (int64, time.Duration) {
	t.Helper()
	before := syncCount.Load()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range commits {
				err := s.Update(context.Background(), func(tx kv.Txn) error {
					return tx.Set(fmt.Appendf(nil, "k-%d-%d", w, i), []byte("v"))
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	syncs := syncCount.Load() - before
	t.Logf("%d writers, %d durable commits in %s: %d log syncs", writers, writers*commits, elapsed.Round(time.Millisecond), syncs)
	return syncs, elapsed
}
