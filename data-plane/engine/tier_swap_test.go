package engine_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

// A tier pass over a backlog swaps bodies for segment references, and a
// compaction moves records, in small transactions: none locks more than a
// few dozen records or writes more than fits in the first 16 KiB batch of
// a TiKV commit. One transaction for a whole 4096-record segment held the
// oldest messages from receives and deletes for seconds after an S3
// outage; and a transaction past the first batch leaves locks that the
// next reader resolves, which on client-go's mock store scans the whole
// store under its one mutex, once per lock (docs/reliability.md, "S3 down
// for a minute").
func TestTierSwapsInSmallTransactions(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		sized := &txnSizer{Store: store}
		clock := newFakeClock()
		blobs := openFSBlobs(t)
		opts := tierOptions(blobs)
		opts.SegmentRecords = 4096 // the default: one segment takes the backlog
		e := newTierEngineShards(t, sized, clock.Now, opts, 1)
		r := mustCreate(t, e, "backlog", nil)
		const n = 1000
		sendBacklogBodies(t, e, r, 0, n)
		clock.Advance(11 * time.Minute)
		sized.reset()
		mustTier(t, e)
		if rb := recordBytes(t, e, r); rb.Cold != n {
			t.Fatalf("after a tier pass: %d of %d messages cold", rb.Cold, n)
		}
		checkLockingTxns(t, "tier", sized.largest())

		// Deleting 3 in 5 leaves the segment less than half alive: the
		// next pass compacts it.
		for i := 0; ; i++ {
			msgs := receive(t, e, r, 10)
			if len(msgs) == 0 {
				break
			}
			for j, m := range msgs {
				if _, err := backlogIndex(m.Body, n); err != nil {
					t.Fatal(err)
				}
				if (i*10+j)%5 < 3 {
					if err := e.DeleteMessage(ctx, r, m.ReceiptHandle); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		before := listSegments(t, blobs)
		sized.reset()
		mustTier(t, e)
		if after := listSegments(t, blobs); len(before) != 1 || len(after) != 2 || after[0] == after[1] {
			t.Fatalf("compaction: segment objects %v, then %v; want the old one and its compacted copy", before, after)
		}
		checkLockingTxns(t, "compaction", sized.largest())
	})
}

// A segment whose every message was deleted is retired in small
// transactions: its 1,000 dead markers went in one before, whose commit
// on the tikv mock met and left behind a lock per marker.
func TestTierRetiresInSmallTransactions(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		sized := &txnSizer{Store: store}
		clock := newFakeClock()
		blobs := openFSBlobs(t)
		opts := tierOptions(blobs)
		opts.SegmentRecords = 4096
		e := newTierEngineShards(t, sized, clock.Now, opts, 1)
		r := mustCreate(t, e, "retire", nil)
		const n = 1000
		sendBacklogBodies(t, e, r, 0, n)
		clock.Advance(11 * time.Minute)
		mustTier(t, e)
		if st := storage(t, e, r); st.Segments != 1 {
			t.Fatalf("after a tier pass: %+v; want one segment", st)
		}
		for deleted := 0; deleted < n; {
			msgs := receive(t, e, r, 10)
			if len(msgs) == 0 {
				t.Fatalf("%d of %d received", deleted, n)
			}
			handles := make([]string, len(msgs))
			for i, m := range msgs {
				handles[i] = m.ReceiptHandle
			}
			if _, err := e.DeleteMessageBatch(ctx, r, handles); err != nil {
				t.Fatal(err)
			}
			deleted += len(msgs)
		}
		sized.reset()
		mustTier(t, e)
		if st := storage(t, e, r); st.Segments != 0 || st.Messages != 0 {
			t.Fatalf("after the retiring pass: %+v; want no segment", st)
		}
		written := sized.mostWritten()
		t.Logf("largest transaction of the retiring pass: %d keys written", written)
		if written > 70 {
			t.Errorf("a transaction of the retiring pass wrote %d keys; want at most 64 markers and a few more", written)
		}
		clock.Advance(2 * time.Minute) // past DeleteGrace
		mustTier(t, e)
		if keys := listSegments(t, blobs); len(keys) != 0 {
			t.Errorf("segment objects %v left after the grace", keys)
		}
	})
}

// checkLockingTxns fails the test if the largest transaction that locked
// records was not small.
func checkLockingTxns(t *testing.T, what string, largest txnSize) {
	t.Helper()
	t.Logf("largest %s transaction: %d records locked, %d keys written, %d bytes", what, largest.locked, largest.written, largest.bytes)
	if largest.locked == 0 || largest.locked > 64 || largest.bytes > 14<<10 {
		t.Errorf("a %s transaction locked %d records and wrote %d keys (%d bytes); want at most 64 records in under 14 KiB",
			what, largest.locked, largest.written, largest.bytes)
	}
}

// txnSize is what one read-write transaction did.
type txnSize struct {
	locked, written, bytes int
}

// txnSizer is a kv.Store that remembers the largest of the transactions
// committed through it since reset that locked records.
type txnSizer struct {
	kv.Store
	mu      sync.Mutex
	max     txnSize
	written int // the most keys any transaction wrote, locking or not
}

func (s *txnSizer) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.max, s.written = txnSize{}, 0
}

func (s *txnSizer) mostWritten() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.written
}

func (s *txnSizer) largest() txnSize {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.max
}

func (s *txnSizer) Update(ctx context.Context, fn func(tx kv.Txn) error) error {
	var size txnSize
	err := s.Store.Update(ctx, func(tx kv.Txn) error {
		size = txnSize{}
		return fn(&sizedTxn{Txn: tx, size: &size})
	})
	if err == nil {
		s.mu.Lock()
		s.written = max(s.written, size.written)
		s.mu.Unlock()
	}
	if err == nil && size.locked > 0 {
		s.mu.Lock()
		s.max.locked = max(s.max.locked, size.locked)
		s.max.written = max(s.max.written, size.written)
		s.max.bytes = max(s.max.bytes, size.bytes)
		s.mu.Unlock()
	}
	return err
}

type sizedTxn struct {
	kv.Txn
	size *txnSize
}

func (t *sizedTxn) Set(key, value []byte) error {
	t.size.written++
	t.size.bytes += len(key) + len(value)
	return t.Txn.Set(key, value)
}

func (t *sizedTxn) Delete(key []byte) error {
	t.size.written++
	t.size.bytes += len(key)
	return t.Txn.Delete(key)
}

func (t *sizedTxn) LockSkip(ctx context.Context, keys [][]byte) ([]kv.KV, error) {
	t.size.locked += len(keys)
	return t.Txn.LockSkip(ctx, keys)
}
