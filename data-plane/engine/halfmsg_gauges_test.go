package engine_test

import (
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
)

func TestHalfMessagesGauge(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, clock *fakeClock) {
		q := mustCreate(t, e, "half-gauge", nil)
		read := func(n int) engine.HalfMessages {
			t.Helper()
			h, err := e.HalfMessages(ctx, q, n)
			if err != nil {
				t.Fatal(err)
			}
			return h
		}
		if h := read(5); h.Pending != 0 || h.OldestAgeMillis != 0 || len(h.Oldest) != 0 || h.Capped {
			t.Fatalf("empty queue: %+v", h)
		}
		first := mustSendHalf(t, e, q, engine.SendInput{Body: "a"})
		clock.AdvanceSeconds(3)
		second := mustSendHalf(t, e, q, engine.SendInput{Body: "b"})
		clock.AdvanceSeconds(2)
		mustSend(t, e, q, "plain") // not a half message

		h := read(1)
		if h.Pending != 2 || h.OldestAgeMillis != 5000 || len(h.Oldest) != 1 {
			t.Fatalf("two pending: %+v", h)
		}
		o := h.Oldest[0]
		if o.TransactionID != first.TransactionID || o.AgeMillis != 5000 || o.CheckBacks != 0 || o.NextCheckBack <= clock.Now().UnixMilli() {
			t.Fatalf("oldest: %+v (want %s)", o, first.TransactionID)
		}
		if h := read(10); len(h.Oldest) != 2 || h.Oldest[1].TransactionID != second.TransactionID || h.Oldest[1].AgeMillis != 2000 {
			t.Fatalf("list: %+v", h.Oldest)
		}

		// A decided message leaves its state for an hour, but is not pending.
		mustEnd(t, e, q, first.TransactionID, engine.Commit)
		if h := read(10); h.Pending != 1 || h.OldestAgeMillis != 2000 || len(h.Oldest) != 1 || h.Oldest[0].TransactionID != second.TransactionID {
			t.Fatalf("after commit: %+v", h)
		}
		mustEnd(t, e, q, second.TransactionID, engine.Rollback)
		clock.Advance(time.Second)
		if h := read(10); h.Pending != 0 || h.OldestAgeMillis != 0 || len(h.Oldest) != 0 {
			t.Fatalf("after rollback: %+v", h)
		}
		if _, err := e.HalfMessages(ctx, ref("missing"), 1); err == nil {
			t.Fatal("missing queue: no error")
		}
	})
}
