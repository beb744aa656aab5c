package engine_test

import (
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

// TestStoredShardsFreshStore: a store without queue data gets the fresh
// count, and keeps it at every later start, whatever that start asks for.
func TestStoredShardsFreshStore(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		for _, fresh := range []int{1, 4, 1} {
			n, err := engine.StoredShards(ctx, store, fresh)
			if err != nil {
				t.Fatal(err)
			}
			if n != 1 {
				t.Fatalf("StoredShards(fresh %d) = %d, want the first start's 1", fresh, n)
			}
		}
	})
}

// TestStoredShardsKeepsAnOlderStoresMessages: a store whose queues were
// created before the count was recorded had eight shards, and its messages
// lie in all of them. An engine started on it must scan all eight, or the
// messages in shards 1–7 are never received.
func TestStoredShardsKeepsAnOlderStoresMessages(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		clock := newFakeClock()
		old := newEngine(t, store, clock.Now) // the default count, unrecorded
		q := mustCreate(t, old, "old", nil)
		const sent = 40 // in all 8 shards but with odds of 8·(7/8)^40 ≈ 0.04 %
		for range sent {
			mustSend(t, old, q, "m")
		}
		if err := old.Close(); err != nil {
			t.Fatal(err)
		}

		shards, err := engine.StoredShards(ctx, store, 1)
		if err != nil {
			t.Fatal(err)
		}
		if shards != engine.DefaultShards {
			t.Fatalf("StoredShards on a store with queues = %d, want %d", shards, engine.DefaultShards)
		}
		e, err := engine.New(store, engine.Options{Clock: clock.Now, ReceiptKey: receiptKey, Shards: shards, ScanMargin: -1})
		if err != nil {
			t.Fatal(err)
		}
		checkInvariantsAtEnd(t, store, e)
		t.Cleanup(func() { _ = e.Close() })
		got := 0
		for range sent {
			msgs := receive(t, e, q, 10)
			if len(msgs) == 0 {
				break
			}
			got += len(msgs)
			clock.Advance(time.Millisecond)
		}
		if got != sent {
			t.Fatalf("received %d of %d messages sent before the count was recorded", got, sent)
		}
	})
}

// TestStoredShardsRefusesBadCounts: a count out of 1–64, asked for or
// found stored, is an error, not a layout the engine guesses at.
func TestStoredShardsRefusesBadCounts(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		for _, fresh := range []int{0, -1, 65} {
			if _, err := engine.StoredShards(ctx, store, fresh); err == nil {
				t.Errorf("StoredShards(fresh %d): no error", fresh)
			}
		}
		for _, stored := range []string{"0", "65", "eight"} {
			if err := store.Update(ctx, func(tx kv.Txn) error { return tx.Set([]byte("E/shards"), []byte(stored)) }); err != nil {
				t.Fatal(err)
			}
			if _, err := engine.StoredShards(ctx, store, 1); err == nil {
				t.Errorf("stored count %q: no error", stored)
			}
		}
	})
}
