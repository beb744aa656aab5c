package engine_test

import (
	"context"
	"testing"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/internal/kv"
)

// TestFanoutIsOneTransaction: a fan-out stores every delivery or none; a
// missing queue is skipped; FIFO deliveries keep group order and
// deduplicate; delayed standard deliveries wait.
func TestFanoutIsOneTransaction(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, clock *fakeClock) {
		std := mustCreate(t, e, "std", nil)
		delayed := mustCreate(t, e, "delayed", map[string]string{"DelaySeconds": "10"})
		fifo := mustCreate(t, e, "f.fifo", map[string]string{"FifoQueue": "true"})
		g, d1, d2 := "g", "d1", "d2"
		plan := func(ds ...engine.Delivery) func(context.Context, kv.Txn) ([]engine.Delivery, error) {
			return func(context.Context, kv.Txn) ([]engine.Delivery, error) { return ds, nil }
		}
		res, err := e.Fanout(ctx, plan(
			engine.Delivery{Queue: std, Message: engine.SendInput{Body: "one"}},
			engine.Delivery{Queue: delayed, Message: engine.SendInput{Body: "later"}},
			engine.Delivery{Queue: fifo, Message: engine.SendInput{Body: "f1", MessageGroupID: &g, DeduplicationID: &d1}},
			engine.Delivery{Queue: fifo, Message: engine.SendInput{Body: "f2", MessageGroupID: &g, DeduplicationID: &d2}},
			engine.Delivery{Queue: fifo, Message: engine.SendInput{Body: "f1 again", MessageGroupID: &g, DeduplicationID: &d1}},
			engine.Delivery{Queue: ref("missing"), Message: engine.SendInput{Body: "lost"}},
		))
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 6 || !res[5].Skipped || res[0].Skipped || res[2].SequenceNumber == "" || res[4].MessageID != res[2].MessageID {
			t.Fatalf("results %+v", res)
		}
		if got := receive(t, e, std, 10); len(got) != 1 || got[0].Body != "one" {
			t.Fatalf("std got %v", got)
		}
		if got := receive(t, e, delayed, 10); len(got) != 0 {
			t.Fatalf("delayed visible at once: %v", got)
		}
		clock.AdvanceSeconds(11)
		if got := receive(t, e, delayed, 10); len(got) != 1 {
			t.Fatalf("delayed got %d after the delay", len(got))
		}
		if got := receive(t, e, fifo, 10); len(got) != 2 || got[0].Body != "f1" || got[1].Body != "f2" {
			t.Fatalf("fifo got %v", got)
		}

		// One bad delivery (a FIFO message without a group) fails all.
		_, err = e.Fanout(ctx, plan(
			engine.Delivery{Queue: std, Message: engine.SendInput{Body: "two"}},
			engine.Delivery{Queue: fifo, Message: engine.SendInput{Body: "no group"}},
		))
		wantCode(t, err, sqserr.CodeMissingParameter)
		_, err = e.Fanout(ctx, plan(
			engine.Delivery{Queue: std, Message: engine.SendInput{Body: "three"}},
			engine.Delivery{Queue: std, Message: engine.SendInput{Body: ""}},
		))
		wantCode(t, err, sqserr.CodeMissingParameter)
		if got := receive(t, e, std, 10); len(got) != 0 {
			t.Fatalf("a failed fan-out left %d messages", len(got))
		}
	})
}
