package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/sluice-mq/sluice/internal/kv"
)

// queueCache saves the message paths decoding the queue record on every
// call. The record is still read in the caller's transaction and a cached
// decoding is used only if the stored bytes are identical, so a purge,
// delete or attribute change is seen at once: the cache saves the JSON
// decode, never the read.
type queueCache struct {
	mu      sync.Mutex
	entries map[QueueRef]cachedQueue
}

type cachedQueue struct {
	raw []byte
	rec *queueRecord
}

// maxCachedQueues bounds the cache; past it the cache starts over.
const maxCachedQueues = 10000

// readQueue is loadQueue for callers that only read the record: the
// result is shared and must not be changed.
func (e *Engine) readQueue(ctx context.Context, r kv.Reader, ref QueueRef) (*queueRecord, error) {
	v, err := r.Get(ctx, queueKey(ref.Account, ref.Region, ref.Name))
	if errors.Is(err, kv.ErrNotFound) {
		return nil, errNoQueue()
	}
	if err != nil {
		return nil, fmt.Errorf("load queue %s: %w", ref.Name, err)
	}
	c := &e.queues
	c.mu.Lock()
	hit, ok := c.entries[ref]
	c.mu.Unlock()
	if ok && bytes.Equal(hit.raw, v) {
		return hit.rec, nil
	}
	var q queueRecord
	if err := json.Unmarshal(v, &q); err != nil {
		return nil, fmt.Errorf("decode queue %s: %w", ref.Name, err)
	}
	c.mu.Lock()
	if c.entries == nil || len(c.entries) >= maxCachedQueues {
		c.entries = map[QueueRef]cachedQueue{}
	}
	c.entries[ref] = cachedQueue{raw: bytes.Clone(v), rec: &q}
	c.mu.Unlock()
	return &q, nil
}

// readyQueues remembers the queues whose last receive on this node found
// messages: the next receive claims at once instead of first checking with
// a read-only scan, which only pays off on empty queues.
type readyQueues struct {
	mu    sync.Mutex
	ready map[QueueRef]bool
}

func (r *readyQueues) get(ref QueueRef) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ready[ref]
}

func (r *readyQueues) set(ref QueueRef, ready bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case !ready:
		delete(r.ready, ref)
	case r.ready == nil || len(r.ready) >= maxCachedQueues:
		r.ready = map[QueueRef]bool{ref: true}
	default:
		r.ready[ref] = true
	}
}

// InFlight returns about how many of the queue's messages are in flight
// (received, not deleted, visibility not expired), as every node has
// flushed its counts plus this node's unflushed changes. It scans the
// index above now: callers on a hot path keep it a while (admission does).
func (e *Engine) InFlight(ctx context.Context, ref QueueRef) (n int64, err error) {
	err = e.store.View(ctx, func(r kv.Reader) error {
		q, err := e.readQueue(ctx, r, ref)
		if err != nil {
			return err
		}
		mc, err := e.counts.read(ctx, e, r, q.did())
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
	prefix := []byte("C/q/" + account + "/")
	// One read for every queue: a read per queue would cost TiKV a
	// timestamp each.
	err = e.store.View(ctx, func(r kv.Reader) error {
		kvs, err := r.Scan(ctx, prefix, prefixEnd(prefix), 0)
		if err != nil {
			return err
		}
		for _, p := range kvs {
			var q queueRecord
			if err := json.Unmarshal(p.Value, &q); err != nil {
				return fmt.Errorf("decode queue %s: %w", p.Key, err)
			}
			stored, err := storedCount(ctx, r, q.did())
			if err != nil {
				return err
			}
			total += stored.plus(e.counts.pending(q.did())).bytes
		}
		return nil
	})
	return max(total, 0), err
}
