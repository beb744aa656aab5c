package engine_test

import (
	"testing"

	"github.com/sluice-mq/sluice/data-plane/engine"
)

// An entry committed below the scan floor (a writer that read its clock
// long before committing) is found and moved up by the sweeper.
func TestSweeperRescuesEntriesBelowTheFloor(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, clock *fakeClock) {
		q := mustCreate(t, e, "q", nil)
		mustSend(t, e, q, "stray")
		clock.AdvanceSeconds(60)
		e.RaiseFloors(ctx, q, clock.Now().UnixMilli())
		if got := receive(t, e, q, 1); len(got) != 0 {
			t.Fatalf("entry below the floor was scanned: %v", got)
		}
		if err := e.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if got := receive(t, e, q, 1); len(got) != 1 || got[0].Body != "stray" {
			t.Fatalf("after the sweep: %v", got)
		}
	})
}
