package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

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

// Counting in-flight messages scans the index above now, and summing an
// account's stored bytes reads a count record per queue: too much for
// every receive or send, so both are kept a little while.
const (
	inFlightMaxAge = time.Second
	storedMaxAge   = 2 * time.Second
)

// InFlight returns about how many of the queue's messages are in flight
// (received, not deleted, visibility not expired): as read at most a second
// ago, plus what this node's receives have claimed since.
func (e *Engine) InFlight(ctx context.Context, ref queues.Ref) (int64, error) {
	return e.inFlight.current(ref, e.clock(), func() (int64, error) { return e.readInFlight(ctx, ref) })
}

func (e *Engine) readInFlight(ctx context.Context, ref queues.Ref) (n int64, err error) {
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
// account's queues hold, in every region: as read at most storedMaxAge
// ago, plus what this node's sends have added since.
func (e *Engine) StoredBytes(ctx context.Context, account string) (int64, error) {
	return e.stored.current(account, e.clock(), func() (int64, error) { return e.readStoredBytes(ctx, account) })
}

func (e *Engine) readStoredBytes(ctx context.Context, account string) (total int64, err error) {
	prefix := queues.AccountPrefix(account)
	// One read for every queue: a read per queue would cost TiKV a
	// timestamp each.
	err = e.store.View(ctx, func(r kv.Reader) error {
		kvs, err := r.Scan(ctx, prefix, prefixEnd(prefix), 0)
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
