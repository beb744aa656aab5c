package engine_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

// A tier pass over a backlog swaps bodies for segment references in small
// transactions: none locks more than a few dozen records or writes more
// than fits in the first 16 KiB batch of a TiKV commit. One transaction for
// a whole 4096-record segment held the oldest messages from receives and
// deletes for seconds after an S3 outage, and its commit's leftover locks
// stalled client-go's mock store (docs/reliability.md, "S3 down for a
// minute").
func TestTierSwapsInSmallTransactions(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		sized := &txnSizer{Store: store}
		clock := newFakeClock()
		opts := tierOptions(openFSBlobs(t))
		opts.SegmentRecords = 4096 // the default: one segment takes the backlog
		e := newTierEngineShards(t, sized, clock.Now, opts, 1)
		r := mustCreate(t, e, "backlog", nil)
		const n = 1000
		for i := range n {
			mustSend(t, e, r, backlogBody(i))
		}
		clock.Advance(11 * time.Minute)
		sized.reset()
		mustTier(t, e)
		if rb := recordBytes(t, e, r); rb.Cold != n {
			t.Fatalf("after a tier pass: %d of %d messages cold", rb.Cold, n)
		}
		largest := sized.largest()
		t.Logf("largest tier transaction: %d keys locked, %d written, %d bytes", largest.locked, largest.written, largest.bytes)
		if largest.locked > 64 || largest.written > 70 || largest.bytes > 16<<10 {
			t.Errorf("a tier transaction locked %d records and wrote %d keys (%d bytes); want at most 64 records in under 16 KiB",
				largest.locked, largest.written, largest.bytes)
		}
		seen := map[string]int{}
		for {
			msgs := receive(t, e, r, 10)
			if len(msgs) == 0 {
				break
			}
			for _, m := range msgs {
				if _, err := backlogIndex(m.Body, n); err != nil {
					t.Fatal(err)
				}
				seen[m.MessageID]++
				if err := e.DeleteMessage(ctx, r, m.ReceiptHandle); err != nil {
					t.Fatal(err)
				}
			}
		}
		if len(seen) != n {
			t.Fatalf("drained %d of %d messages", len(seen), n)
		}
	})
}

// txnSize is what one read-write transaction did.
type txnSize struct {
	locked, written, bytes int
}

// txnSizer is a kv.Store that remembers the largest transaction committed
// through it since reset, by keys locked.
type txnSizer struct {
	kv.Store
	mu  sync.Mutex
	max txnSize
}

func (s *txnSizer) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.max = txnSize{}
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
