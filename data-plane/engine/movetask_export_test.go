package engine

import (
	"context"

	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/internal/kv"
)

// MoveTaskLease is how long a move task's lease lasts without renewal.
const MoveTaskLease = moveLease

// CrashMoveTasks stops this node's move task runners without releasing
// their leases, as a crash would.
func (e *Engine) CrashMoveTasks() { _ = e.movers.stop(e, false) }

// RunningMoveTasks is how many move tasks this node runs.
func (e *Engine) RunningMoveTasks() int { return e.movers.count() }

// StoredMoveTasks is how many task records the source queue has.
func (e *Engine) StoredMoveTasks(ctx context.Context, source queues.Ref) int {
	var n int
	_ = e.store.View(ctx, func(r kv.Reader) error {
		tasks, err := scanMoveTasks(ctx, r, source)
		n = len(tasks)
		return err
	})
	return n
}
