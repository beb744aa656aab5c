package engine

import (
	"context"
	"encoding/binary"
	"sync"

	"github.com/sluice-mq/sluice/internal/kv"
)

// Scan floors keep receive cost flat as consumed messages pile up as
// tombstones: a receive scans a shard's index from its floor, below which
// no live entry exists or can appear.
//
// Why a floor stays valid: every index entry is written with visibleAt at
// or after the writer's clock, so once a scan whose snapshot was taken
// after the clock read began finds its first entry at F (or none), no
// entry below min(F, began - maxClockSkew) can ever appear. (began, not
// the reading the scan takes later: what commits between the snapshot and
// that reading is invisible to the scan.) Floors only move up; any node's
// floor is valid for all.
const maxClockSkew = 5000 // ms: clock skew between nodes plus the longest gap between a writer reading its clock and committing

// floorSettle is how long after a scan last found entries in a shard its
// rising floor is still written to the store. A stored floor only saves
// a node that loads it the walk over consumed entries, so it needs
// writing only while it passes over them: entries consumed ready lie
// within maxClockSkew below the floor's rise, and those deleted in flight
// at their visibility timeout (30 s by default). A shard nobody sends to
// is not rewritten every second as its floor follows the clock (an idle
// long poll would otherwise cost a write per shard per second); the
// floor still rises in memory.
const floorSettle = maxClockSkew + 60_000 // ms

type floorKeyT struct {
	d     did
	shard uint8
}

type floorCache struct {
	mu     sync.Mutex
	floors map[floorKeyT]int64
	loaded map[floorKeyT]bool
	dirty  map[floorKeyT]bool
	hints  map[floorKeyT]scanHint // scanhints.go
	// active is until when (ms) a shard's rising floor is written: see
	// floorSettle.
	active map[floorKeyT]int64
}

func newFloorCache() *floorCache {
	return &floorCache{floors: map[floorKeyT]int64{}, loaded: map[floorKeyT]bool{}, dirty: map[floorKeyT]bool{}, hints: map[floorKeyT]scanHint{}, active: map[floorKeyT]int64{}}
}

// get returns the floor and whether it was ever loaded from the store.
func (f *floorCache) get(d did, shard uint8) (int64, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := floorKeyT{d, shard}
	return f.floors[k], f.loaded[k]
}

// raise moves the floor up (never down); stored marks a value read from
// the store, which need not be written back.
func (f *floorCache) raise(d did, shard uint8, floor int64, stored bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := floorKeyT{d, shard}
	if stored {
		f.loaded[k] = true
	}
	if floor > f.floors[k] {
		f.floors[k] = floor
		if !stored {
			f.dirty[k] = true
		}
	}
}

// scanned raises the floor after a scan at now that found entries or
// none, marking it for writing only while the shard was recently active.
func (f *floorCache) scanned(d did, shard uint8, floor, now int64, found bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := floorKeyT{d, shard}
	if found {
		f.active[k] = now + floorSettle
	}
	if floor > f.floors[k] {
		f.floors[k] = floor
		if now <= f.active[k] {
			f.dirty[k] = true
		}
	}
}

func (f *floorCache) takeDirty() map[floorKeyT]int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[floorKeyT]int64, len(f.dirty))
	for k := range f.dirty {
		out[k] = f.floors[k]
	}
	f.dirty = map[floorKeyT]bool{}
	return out
}

// floor returns the shard's floor, reading the stored one the first time.
func (e *Engine) floor(ctx context.Context, r kv.Reader, d did, shard uint8) (int64, error) {
	if v, loaded := e.floors.get(d, shard); loaded {
		return v, nil
	}
	v, err := r.Get(ctx, floorKey(d, shard))
	switch {
	case err == nil && len(v) == 8:
		e.floors.raise(d, shard, int64(binary.BigEndian.Uint64(v)), true)
	case err == nil || isNotFound(err):
		e.floors.raise(d, shard, 0, true)
	default:
		return 0, err
	}
	floor, _ := e.floors.get(d, shard)
	return floor, nil
}

func (e *Engine) flushFloors(ctx context.Context) error {
	for k, floor := range e.floors.takeDirty() {
		key := floorKey(k.d, k.shard)
		err := e.store.Update(ctx, func(tx kv.Txn) error {
			cur, err := readCount(ctx, tx, key)
			if err != nil || cur.n >= floor { // a floor is stored as a bare 8-byte number
				return err
			}
			return tx.Set(key, binary.BigEndian.AppendUint64(nil, uint64(floor)))
		})
		if err != nil {
			return err
		}
	}
	return nil
}
