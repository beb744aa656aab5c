package engine

import (
	"context"
	"time"

	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/internal/kv"
)

// QueueGauges are what the metrics endpoint reports of one queue: SQS's
// CloudWatch gauges and the queue's storage.
type QueueGauges struct {
	Visible, InFlight, Delayed int64
	// OldestAgeMillis is how long the earliest ready message has been
	// ready (now minus its visibility time): SQS's
	// ApproximateAgeOfOldestMessage for a message never received; one
	// received and let go counts from when it came back. 0 when none is
	// ready.
	OldestAgeMillis int64
	HotBytes        int64
	ColdBytes       int64
	Segments        int64
}

// QueueGauges reads a queue's gauges in one read-only transaction: the
// counts GetQueueAttributes reads, QueueStorage's bytes and segments, and
// the first ready index entry of each shard from its scan floor (so the
// cost does not grow with consumed messages).
func (e *Engine) QueueGauges(ctx context.Context, ref queues.Ref) (QueueGauges, error) {
	var g QueueGauges
	err := e.store.View(ctx, func(r kv.Reader) error {
		q, err := e.catalog.Read(ctx, r, ref)
		if err != nil {
			return err
		}
		d := q.DID()
		c, err := e.stats.readCounts(ctx, r, d)
		if err != nil {
			return err
		}
		g.Visible, g.InFlight, g.Delayed = c.visible, c.inFlight, c.delayed
		stored, err := storedCount(ctx, r, d)
		if err != nil {
			return err
		}
		stored = stored.plus(e.stats.pending(d))
		g.HotBytes, g.ColdBytes = max(stored.hot(), 0), max(stored.cold, 0)
		prefix := segmentPrefix(d)
		segs, err := r.Scan(ctx, prefix, kv.PrefixEnd(prefix), 0)
		if err != nil {
			return err
		}
		g.Segments = int64(len(segs))
		if g.Visible == 0 {
			return nil
		}
		now := e.clock().UnixMilli()
		oldest := now
		for shard := range uint8(e.opts.Shards) {
			floor, _ := e.floors.get(d, shard)
			kvs, err := r.Scan(ctx, indexBound(d, shard, floor), indexBound(d, shard, now+1), 1)
			if err != nil {
				return err
			}
			if len(kvs) == 1 {
				if at, _, ok := parseIndexKey(kvs[0].Key, len(shardPrefix(d, shard))); ok {
					oldest = min(oldest, at)
				}
			}
		}
		g.OldestAgeMillis = now - oldest
		return nil
	})
	return g, err
}

// LongPolls returns how many ReceiveMessage calls wait on this node.
func (e *Engine) LongPolls() int {
	ws := e.waiters
	ws.mu.Lock()
	defer ws.mu.Unlock()
	n := 0
	for _, w := range ws.watchers {
		n += w.n
	}
	return n
}

// TieringLag returns how long ago this node's last tiering pass
// completed (0 before the first, or without a cold tier): it grows while
// passes fail (the blob store is down) or run long.
func (e *Engine) TieringLag() time.Duration {
	last := e.lastTier.Load()
	if e.cold == nil || last == 0 {
		return 0
	}
	return time.Duration(e.clock().UnixMilli()-last) * time.Millisecond
}
