package engine

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/sluice-mq/sluice/internal/kv"
)

// Scan hints let a receive skip the tombstones that pile up above a scan
// floor. The floor must stay maxClockSkew (5 s) behind the clock, so a scan
// from it walks over every entry consumed in the last 5 s: at thousands of
// messages a second that walk dominated receive and, on the local store,
// held the writer lock. A hint is node-local and never stored: where this
// node's last scan of the shard found its first live entry, or, if none,
// the scan's clock reading, less ScanMargin.
//
// An entry can appear below a hint only if its writer read the clock
// before that scan and committed after it. Writers on this node cannot:
// every Update holds the write guard from before it reads the clock until
// it commits, and a hint never rises above the oldest held reading. Writers
// on other nodes are covered by ScanMargin (typical commit latency plus
// clock skew), and beyond it by a full scan from the floor every
// hintRescan: an entry found late, never lost.
const hintRescan = time.Second

type scanHint struct {
	at, rescanAt int64 // ms
}

// writeGuard records the clock reading of every Update in progress.
type writeGuard struct {
	mu     sync.Mutex
	next   uint64
	active map[uint64]int64
}

func newWriteGuard() *writeGuard { return &writeGuard{active: map[uint64]int64{}} }

// hold registers the clock's current reading until release is called.
func (g *writeGuard) hold(clock func() time.Time) (release func()) {
	g.mu.Lock()
	id := g.next
	g.next++
	g.active[id] = clock().UnixMilli()
	g.mu.Unlock()
	return func() {
		g.mu.Lock()
		delete(g.active, id)
		g.mu.Unlock()
	}
}

// low returns the oldest reading held, or MaxInt64.
func (g *writeGuard) low() int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	low := int64(math.MaxInt64)
	for _, at := range g.active {
		low = min(low, at)
	}
	return low
}

// guardedStore holds the write guard for every Update attempt, from the
// start of the attempt, before it reads the clock, until its writes are
// visible: when the transaction says so (kv.ApplyNotifier: the local
// store, before it waits for the log's sync), else when Update returns.
// Not from the call: on the local store an Update first waits its turn for
// the writer lock, and then for the sync, and a reading held through those
// waits held every hint back by them (on a queue its consumers keep up
// with, every scan then walked the entries consumed in the last sync's
// time again).
type guardedStore struct {
	kv.Store
	guard *writeGuard
	clock func() time.Time
}

func (s guardedStore) Update(ctx context.Context, fn func(kv.Txn) error) error {
	fn, release := s.guarded(fn)
	defer release()
	return s.Store.Update(ctx, fn)
}

func (s guardedStore) UpdateLazy(ctx context.Context, fn func(kv.Txn) error) error {
	fn, release := s.guarded(fn)
	defer release()
	return kv.UpdateLazy(ctx, s.Store, fn)
}

// guarded wraps fn to take the guard as each attempt begins; release lets
// go of what the attempts still hold.
func (s guardedStore) guarded(fn func(kv.Txn) error) (guardedFn func(kv.Txn) error, release func()) {
	var held []func()
	guardedFn = func(tx kv.Txn) error {
		r := s.guard.hold(s.clock)
		if n, ok := tx.(kv.ApplyNotifier); ok {
			n.OnApplied(r)
		} else {
			held = append(held, r)
		}
		return fn(tx)
	}
	release = func() {
		for _, r := range held {
			r()
		}
	}
	return guardedFn, release
}

// scanSince is the clock reading a scan may raise floors and hints from,
// taken before its transaction begins: the clock, or the reading of the
// oldest Update of this node still in progress, if lower. An Update whose
// reading it leaves out began after it or committed before the scan's
// snapshot, so every entry the scan cannot see lies at or above it.
func (e *Engine) scanSince() int64 {
	return min(e.clock().UnixMilli(), e.guard.low())
}

// scanStart returns where a scan of the shard may start: the hint when one
// is fresh and above the floor, else the floor.
func (f *floorCache) scanStart(d did, shard uint8, floor, now int64) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	h, ok := f.hints[floorKeyT{d, shard}]
	if !ok || now >= h.rescanAt || h.at <= floor {
		return floor
	}
	return h.at
}

// setHint records where the next scan may start. A scan that started at
// the floor (full) schedules the next full scan.
func (f *floorCache) setHint(d did, shard uint8, at, now int64, full bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := floorKeyT{d, shard}
	h := f.hints[k]
	if full || h.rescanAt == 0 {
		h.rescanAt = now + hintRescan.Milliseconds()
	}
	h.at = at
	f.hints[k] = h
}
