package tikv_test

import (
	"context"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
	"github.com/sluice-mq/sluice/internal/kv/tikv"
)

// A transaction whose call's context ends (a client that gave up) after
// it locked keys still rolls its locks back: the next writer of those keys
// goes through at once. Before, the context's end raised the Killed flag
// the transaction's client-go variables carry, client-go checks it before
// sending any request, rollbacks included, and the pessimistic locks were
// left for their 20 s TTL: every send to a FIFO group whose claim's client
// had timed out waited out its own deadline behind them (e2e/chaos
// TestBlobStoreFaults, a goroutine dump of a send backing off on a lock
// no live transaction held).
func TestLocksOfACancelledTransactionAreRolledBack(t *testing.T) {
	s := kvtest.OpenMockTiKV(t)
	set(t, s, "group", "1")
	ctx, cancel := context.WithCancel(context.Background())
	err := s.Update(ctx, func(tx kv.Txn) error {
		got, err := tx.LockSkip(ctx, [][]byte{[]byte("group")})
		if err != nil || len(got) != 1 {
			t.Errorf("lock: %v, %v", got, err)
		}
		cancel() // the client gives up while the transaction holds the lock
		time.Sleep(50 * time.Millisecond)
		return ctx.Err()
	})
	if err == nil {
		t.Fatal("a cancelled transaction committed")
	}
	wctx, wcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer wcancel()
	start := time.Now()
	if err := s.Update(wctx, func(tx kv.Txn) error { return tx.Set([]byte("group"), []byte("2")) }); err != nil {
		t.Fatalf("write after the cancelled transaction: %v (after %v)", err, time.Since(start).Round(time.Millisecond))
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("the write waited %v for the locks of a cancelled transaction", took.Round(time.Millisecond))
	}
}

// A call cancelled right after a lock request that failed on a held key
// (client-go rolling the failed request back in the background, the
// claim locking the free keys again one at a time) still releases every
// key at once. The context's end raises the Killed flag from a goroutine
// of its own; unordered, that raise could land after the transaction had
// lowered the flag for its rollback, which then was never sent.
func TestFailedLockRequestRolledBackAfterTheCallReturns(t *testing.T) {
	s := kvtest.OpenMockTiKVRegions(t, tikv.Options{GCInterval: -1}, nil, []byte("c"))
	keys := [][]byte{[]byte("a"), []byte("b"), []byte("c"), []byte("d")}
	for _, k := range keys {
		set(t, s, string(k), "v")
	}
	release := holdLock(t, s, "d")
	ctx, cancel := context.WithCancel(context.Background())
	err := s.Update(ctx, func(tx kv.Txn) error {
		got, err := tx.LockSkip(ctx, keys)
		if err != nil {
			return err
		}
		cancel() // the call returns: its context ends while the rollback is in flight
		if len(got) != 3 {
			t.Errorf("locked %d keys, want a, b and c", len(got))
		}
		return context.Canceled
	})
	release()
	if err == nil {
		t.Fatal("a cancelled transaction committed")
	}
	wctx, wcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer wcancel()
	start := time.Now()
	for _, k := range keys {
		if err := s.Update(wctx, func(tx kv.Txn) error { return tx.Set(k, []byte("w")) }); err != nil {
			t.Fatalf("write %s after the cancelled transaction: %v (after %v)", k, err, time.Since(start).Round(time.Millisecond))
		}
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("the writes waited %v for the locks of a cancelled transaction", took.Round(time.Millisecond))
	}
}
