package engine_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

// TestFlushWaitsForABackgroundFlush: a Flush returns only once every
// delta committed before it is in the store, even those a background
// flush took a moment earlier and is still writing. Before, a reader that
// flushed and then read counts (QueueStorage, as TestTierBacklog's check
// after its drain does) missed the deltas in flight: a drained queue read
// as still holding its last few messages.
func TestFlushWaitsForABackgroundFlush(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		// A background flush every millisecond, each commit of a count
		// held 20 ms: a flush is nearly always writing one.
		e, err := engine.New(slowCounts{store, []byte("c/flush-node")}, engine.Options{ReceiptKey: receiptKey,
			NodeID: "flush-node", FlushInterval: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		e.Start(ctx)
		t.Cleanup(func() { _ = e.Close() })
		r := mustCreate(t, e, "flush", nil)
		const n = 60
		for i := range n {
			mustSend(t, e, r, "m")
			if i%10 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
		for left := n; left > 0; {
			for _, m := range receive(t, e, r, 10) {
				if err := e.DeleteMessage(ctx, r, m.ReceiptHandle); err != nil {
					t.Fatal(err)
				}
				left--
				// Give the background loop time to take the delta: its
				// write is then held, and the Flush below runs beside it.
				time.Sleep(5 * time.Millisecond)
				// What this node committed is all it has: a flush then a
				// read must see exactly it.
				if st := storage(t, e, r); st.Messages != int64(left) {
					t.Fatalf("after a flush, %d messages counted, %d stored", st.Messages, left)
				}
			}
		}
	})
}

// slowCounts holds every transaction that writes this node's count record
// for 20 ms before it commits.
type slowCounts struct {
	kv.Store
	countKey []byte // the key's tail: "c/" and the node id
}

func (s slowCounts) Update(ctx context.Context, fn func(kv.Txn) error) error {
	return s.Store.Update(ctx, func(tx kv.Txn) error {
		w := &watchSets{Txn: tx, tail: s.countKey}
		if err := fn(w); err != nil {
			return err
		}
		if w.hit {
			time.Sleep(20 * time.Millisecond)
		}
		return nil
	})
}

type watchSets struct {
	kv.Txn
	tail []byte
	hit  bool
}

func (w *watchSets) Set(key, value []byte) error {
	w.hit = w.hit || bytes.HasSuffix(key, w.tail)
	return w.Txn.Set(key, value)
}
