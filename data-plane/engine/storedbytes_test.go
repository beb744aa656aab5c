package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/msgattr"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

// TestStoredBytes: an account's stored bytes (bodies plus attributes)
// follow sends, deletes, expiry and purges, and every node sees them once
// counts are flushed.
func TestStoredBytes(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		clock := newFakeClock()
		e := newEngine(t, store, clock.Now)
		stored := func(e *engine.Engine) int64 {
			t.Helper()
			clock.Advance(3 * time.Second) // past the cache
			n, err := e.StoredBytes(ctx, ref("x").Account)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		q := mustCreate(t, e, "bytes", map[string]string{"MessageRetentionPeriod": "60"})
		other := mustCreate(t, e, "other", nil)
		attrs := msgattr.Attributes{"k": {DataType: "String", StringValue: "vv"}} // 1 + 6 + 2 bytes
		if _, err := e.SendMessage(ctx, q, engine.SendInput{Body: strings.Repeat("a", 100), Attributes: attrs}); err != nil {
			t.Fatal(err)
		}
		mustSend(t, e, q, strings.Repeat("b", 200))
		mustSend(t, e, other, strings.Repeat("c", 50))
		if got, want := stored(e), int64(100+9+200+50); got != want {
			t.Fatalf("stored %d, want %d", got, want)
		}
		msgs := receive(t, e, q, 10)
		for _, m := range msgs {
			if len(m.Body) == 200 {
				if err := e.DeleteMessage(ctx, q, m.ReceiptHandle); err != nil {
					t.Fatal(err)
				}
			}
		}
		if got := stored(e); got != 100+9+50 {
			t.Fatalf("after a delete: %d", got)
		}
		// Another node reads what this one flushed.
		if err := e.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if got := stored(newEngine(t, store, clock.Now)); got != 100+9+50 {
			t.Fatalf("another node sees %d", got)
		}
		// Expiry (the sweeper) and purge.
		clock.Advance(2 * time.Minute)
		if err := e.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if got := stored(e); got != 50 {
			t.Fatalf("after expiry: %d", got)
		}
		if err := e.PurgeQueue(ctx, other); err != nil {
			t.Fatal(err)
		}
		if got := stored(e); got != 0 {
			t.Fatalf("after purge: %d", got)
		}
	})
}
