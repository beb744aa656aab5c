package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/internal/kv"
)

// maxCachedQueues bounds the per-queue maps below; past it a map starts over.
const maxCachedQueues = 10000

// readyQueues remembers the queues whose last receive on this node found
// messages: the next receive claims at once instead of first checking with
// a read-only scan, which only pays off on empty queues.
type readyQueues struct {
	mu    sync.Mutex
	ready map[queues.Ref]bool
}

func (r *readyQueues) get(ref queues.Ref) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ready[ref]
}

func (r *readyQueues) set(ref queues.Ref, ready bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case !ready:
		delete(r.ready, ref)
	case r.ready == nil || len(r.ready) >= maxCachedQueues:
		r.ready = map[queues.Ref]bool{ref: true}
	default:
		r.ready[ref] = true
	}
}

// InFlight returns about how many of the queue's messages are in flight
// (received, not deleted, visibility not expired), as every node has
// flushed its counts plus this node's unflushed changes. It scans the
// index above now: callers on a hot path keep it a while (admission does).
func (e *Engine) InFlight(ctx context.Context, ref queues.Ref) (n int64, err error) {
	err = e.store.View(ctx, func(r kv.Reader) error {
		q, err := e.catalog.Read(ctx, r, ref)
		if err != nil {
			return err
		}
		mc, err := e.stats.readCounts(ctx, r, q.DID())
		n = mc.inFlight
		return err
	})
	return n, err
}

// StoredBytes returns about how many bytes (bodies plus attributes) the
// account's queues hold, in every region, as every node has flushed its
// counts plus this node's unflushed changes. It reads a count record per
// queue: callers on a hot path keep it a while (admission does).
func (e *Engine) StoredBytes(ctx context.Context, account string) (total int64, err error) {
	prefix := queues.AccountPrefix(account)
	// One read for every queue: a read per queue would cost TiKV a
	// timestamp each.
	err = e.store.View(ctx, func(r kv.Reader) error {
		kvs, err := r.Scan(ctx, prefix, kv.PrefixEnd(prefix), 0)
		if err != nil {
			return err
		}
		for _, p := range kvs {
			var q queues.Record
			if err := json.Unmarshal(p.Value, &q); err != nil {
				return fmt.Errorf("decode queue %s: %w", p.Key, err)
			}
			stored, err := storedCount(ctx, r, q.DID())
			if err != nil {
				return err
			}
			total += stored.plus(e.counts.pending(q.DID())).bytes
		}
		return nil
	})
	return max(total, 0), err
}
