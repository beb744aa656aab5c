package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

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

// inFlightCache keeps each queue's in-flight count for a second: counting
// scans the index above now, too much for every receive.
type inFlightCache struct {
	mu      sync.Mutex
	entries map[QueueRef]inFlightEntry
}

type inFlightEntry struct {
	n  int64
	at time.Time
}

const inFlightMaxAge = time.Second

// InFlight returns about how many of the queue's messages are in flight
// (received, not deleted, visibility not expired), at most a second old.
func (e *Engine) InFlight(ctx context.Context, ref QueueRef) (int64, error) {
	now := e.clock()
	c := &e.inFlight
	c.mu.Lock()
	hit, ok := c.entries[ref]
	c.mu.Unlock()
	if ok && now.Sub(hit.at) < inFlightMaxAge {
		return hit.n, nil
	}
	var n int64
	err := e.store.View(ctx, func(r kv.Reader) error {
		q, err := e.readQueue(ctx, r, ref)
		if err != nil {
			return err
		}
		mc, err := e.counts.read(ctx, e, r, q.did())
		n = mc.inFlight
		return err
	})
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	if c.entries == nil || len(c.entries) >= maxCachedQueues {
		c.entries = map[QueueRef]inFlightEntry{}
	}
	c.entries[ref] = inFlightEntry{n: n, at: now}
	c.mu.Unlock()
	return n, nil
}

// storedCache keeps each account's stored bytes for storedMaxAge: summing
// reads a count record per queue, too much for every send.
type storedCache struct {
	mu      sync.Mutex
	entries map[string]inFlightEntry
}

const storedMaxAge = 2 * time.Second

// StoredBytes returns about how many bytes (bodies plus attributes) the
// account's queues hold, in every region, at most storedMaxAge old.
func (e *Engine) StoredBytes(ctx context.Context, account string) (int64, error) {
	now := e.clock()
	c := &e.stored
	c.mu.Lock()
	hit, ok := c.entries[account]
	c.mu.Unlock()
	if ok && now.Sub(hit.at) < storedMaxAge {
		return hit.n, nil
	}
	var total int64
	prefix := []byte("C/q/" + account + "/")
	err := e.store.View(ctx, func(r kv.Reader) error {
		start := prefix
		for {
			page, err := r.Scan(ctx, start, prefixEnd(prefix), 500)
			if err != nil {
				return err
			}
			for _, p := range page {
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
			if len(page) < 500 {
				return nil
			}
			start = append(append([]byte(nil), page[len(page)-1].Key...), 0)
		}
	})
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	if c.entries == nil || len(c.entries) >= maxCachedQueues {
		c.entries = map[string]inFlightEntry{}
	}
	c.entries[account] = inFlightEntry{n: total, at: now}
	c.mu.Unlock()
	return max(total, 0), nil
}
