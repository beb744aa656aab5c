package engine_test

import (
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

// TestScanHintsFindLateEntries: a message another node commits below this
// node's scan hint (its clock is behind) is still delivered, at the latest
// by the next full scan from the floor.
func TestScanHintsFindLateEntries(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		clock := newFakeClock()
		behind := func() time.Time { return clock.Now().Add(-2 * time.Second) }
		here := newEngine(t, store, clock.Now)
		slow, err := engine.New(store, engine.Options{Clock: behind, ReceiptKey: receiptKey})
		if err != nil {
			t.Fatal(err)
		}
		checkInvariantsAtEnd(t, store, slow)
		t.Cleanup(func() { _ = slow.Close() })

		q := mustCreate(t, here, "late", nil)
		mustSend(t, here, q, "first")
		if got := receive(t, here, q, 10); len(got) != 1 {
			t.Fatalf("received %d, want 1", len(got))
		}
		// Every shard has now been scanned by `here`, so its hints sit near
		// its clock; the slow node's message lands 2 s below them.
		clock.Advance(10 * time.Millisecond)
		if _, err := slow.SendMessage(ctx, q, engine.SendInput{Body: "late"}); err != nil {
			t.Fatal(err)
		}
		var got []engine.Message
		for range 3 {
			if got = receive(t, here, q, 10); len(got) > 0 {
				break
			}
			clock.Advance(600 * time.Millisecond) // two steps pass hintRescan
		}
		if len(got) != 1 || got[0].Body != "late" {
			t.Fatalf("late message not delivered: %+v", got)
		}
	})
}
