package engine

import (
	"context"

	"github.com/sluice-mq/sluice/data-plane/queues"
)

// DeleteQueue deletes the queue through the catalog, which leaves its
// messages to the sweeper, and ends its long polls.
func (e *Engine) DeleteQueue(ctx context.Context, ref queues.Ref) error {
	old, err := e.catalog.Delete(ctx, ref)
	if err == nil {
		e.waiters.notify(old) // its long polls, here and on other nodes, end now
	}
	return err
}

// PurgeQueue empties the queue through the catalog, which switches it to
// a fresh data range, and moves its long polls to the new range.
func (e *Engine) PurgeQueue(ctx context.Context, ref queues.Ref) error {
	old, err := e.catalog.Purge(ctx, ref)
	if err == nil {
		e.waiters.notify(old) // its long polls move to the new range now
	}
	return err
}

// Stats answers the queue counts and storage figures of GetQueueAttributes
// and QueueStorage, with this node's unflushed counts, and ends long polls
// of queues the catalog deleted, here and on other nodes.
func (e *Engine) Stats() *Stats { return e.stats }

// GetQueueAttributes returns the named attributes; "All" returns every one.
func (e *Engine) GetQueueAttributes(ctx context.Context, ref queues.Ref, names []string) (map[string]string, error) {
	return e.stats.GetQueueAttributes(ctx, ref, names)
}
