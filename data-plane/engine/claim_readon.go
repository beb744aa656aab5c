package engine

import (
	"context"
	"sync"

	"github.com/sluice-mq/sluice/internal/kv"
)

// Reading on. A claim reads a first batch of each shard's ready entries:
// on a serial store (the local driver, whose writer lock keeps every other
// receiver out while a claim runs) only the entries it needs, elsewhere a
// window past the ones other receivers hold. Entries it cannot take — a
// cold message the blob store cannot serve, a corrupt one, a message
// locked by another node's claim, a FIFO group whose head waits — would
// hide every message behind them from every receive if a claim stopped at
// its first batch, so a claim whose batch is not full reads on, batch
// after batch, until it is full or the shard has no more ready entries.
//
// readOnBudget bounds what one claim reads on (entries, across its
// shards), so a shard with thousands of unreadable cold messages at its
// head costs each receive a bounded walk. A walk the budget cuts short
// leaves a cursor: the next claim that reads on in that shard starts past
// it, so every ready entry is reached within a few receives however many
// are in the way. Entries the cursor passes over are tried again once a
// walk reaches the shard's end and drops it, or once the cursor is
// readOnCursorLife old: under a steady backlog every walk from the cursor
// fills before the shard's end, and without that limit an entry it passed
// over (a cold message unreadable then, readable now) would wait behind
// newer messages for as long as the backlog lasts.
const (
	readOnBudget     = 256
	readOnCursorLife = 5_000 // ms
)

// readOnFrom is a shard whose first batch was full and did not fill the
// claim: last is its last entry in index order, limit its size.
type readOnFrom struct {
	shard uint8
	last  readyEntry
	limit int
}

// readOnCursors remembers, per shard, where a read-on walk cut short by
// its budget stopped. Node-local and never stored: losing one only makes
// the next walk start nearer the shard's head.
type readOnCursors struct {
	mu  sync.Mutex
	pos map[floorKeyT]readOnCursor
}

type readOnCursor struct {
	at    readyEntry
	since int64 // unix ms the cursor was set
}

func newReadOnCursors() *readOnCursors {
	return &readOnCursors{pos: map[floorKeyT]readOnCursor{}}
}

// start returns where a walk of the shard that has read up to last goes
// on from, at now: past last, or past the cursor when that is further and
// the cursor is not past its life (then it is dropped).
func (r *readOnCursors) start(d did, shard uint8, last readyEntry, now int64) readyEntry {
	r.mu.Lock()
	defer r.mu.Unlock()
	key := floorKeyT{d, shard}
	cur, ok := r.pos[key]
	switch {
	case !ok:
		return last
	case now-cur.since >= readOnCursorLife:
		delete(r.pos, key)
		return last
	case indexOrder(cur.at, last) > 0:
		return cur.at
	}
	return last
}

// stop records where a walk cut short stopped, at now; reachedEnd drops
// the cursor, so the next walk starts from the shard's head again.
func (r *readOnCursors) stop(d did, shard uint8, at readyEntry, reachedEnd bool, now int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if reachedEnd {
		delete(r.pos, floorKeyT{d, shard})
		return
	}
	r.pos[floorKeyT{d, shard}] = readOnCursor{at: at, since: now}
}

// scanReadyAfter returns up to limit entries of the shard visible at now
// that come after the entry after in index order. Unlike scanReady it
// leaves floors and scan hints alone: those follow a shard's first entry.
func (e *Engine) scanReadyAfter(ctx context.Context, r kv.Reader, d did, shard uint8, after readyEntry, now int64, limit int) ([]readyEntry, error) {
	start := append(indexKey(d, shard, after.visibleAt, after.id), 0)
	kvs, err := r.Scan(ctx, start, indexBound(d, shard, now+1), limit)
	if err != nil {
		return nil, err
	}
	entries := indexEntries(kvs, len(shardPrefix(d, shard)))
	for i := range entries {
		entries[i].shard = shard
	}
	return entries, nil
}

// readOn walks on past the first batches of the shards in from while the
// claim wants messages and the budget lasts, handing take each further
// batch in index order; take tries every entry of a batch unless the
// claim fills.
func (c *claimer) readOn(ctx context.Context, from []readOnFrom, want func() int, take func(context.Context, []readyEntry) error) error {
	budget := readOnBudget
	for _, f := range from {
		if want() == 0 || budget == 0 {
			return nil
		}
		at := c.e.readOn.start(c.d, f.shard, f.last, c.now)
		size := f.limit
		for want() > 0 {
			if budget == 0 {
				// Not past cold frames this round left to fetch: the
				// next round, which has them, reads on from here again.
				if !c.cold.mustFetch() {
					c.e.readOn.stop(c.d, f.shard, at, false, c.now)
				}
				break
			}
			size = min(2*size, budget)
			batch, err := c.e.scanReadyAfter(ctx, c.tx, c.d, f.shard, at, c.now, size)
			if err != nil {
				return err
			}
			budget -= size
			if len(batch) > 0 {
				at = batch[len(batch)-1]
				if err := take(ctx, batch); err != nil {
					return err
				}
			}
			if len(batch) < size {
				c.e.readOn.stop(c.d, f.shard, at, true, c.now)
				break
			}
		}
	}
	return nil
}
