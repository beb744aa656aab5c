package local

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
)

// handle is one open Pebble database and the calls using it. Recovery
// swaps the store's handle for a new one; the old database is closed only
// once every call that acquired it has released it, so a reader never
// touches a closed database.
type handle struct {
	db      *pebble.DB
	users   atomic.Int64
	retired atomic.Bool
	once    sync.Once
	drained chan struct{}
}

func newHandle(db *pebble.DB) *handle {
	return &handle{db: db, drained: make(chan struct{})}
}

// acquire returns the current handle with a use counted on it, or nil
// while the store has no open database (closed, or between a failed
// database's close and its reopen).
func (s *Store) acquire() *handle {
	for {
		h := s.cur.Load()
		if h == nil {
			return nil
		}
		h.users.Add(1)
		if s.cur.Load() == h {
			return h
		}
		// Swapped out meanwhile: the retirer may be waiting for zero.
		h.release()
	}
}

// open acquires the current database for a call under ctx: ctx's error
// once it has ended, the store's unavailable error while it has none
// (reopening or closed). The caller releases the handle.
func (s *Store) open(ctx context.Context) (*handle, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	h := s.acquire()
	if h == nil {
		return nil, s.unavailable()
	}
	return h, nil
}

func (h *handle) release() {
	if h.users.Add(-1) == 0 && h.retired.Load() {
		h.once.Do(func() { close(h.drained) })
	}
}

// retire waits until every call that acquired h has released it. The
// caller has already swapped h out of the store, so no new use begins.
func (h *handle) retire() {
	h.retired.Store(true)
	if h.users.Load() == 0 {
		h.once.Do(func() { close(h.drained) })
	}
	<-h.drained
}
