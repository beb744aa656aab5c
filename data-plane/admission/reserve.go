package admission

import (
	"context"
	"sync"
	"time"
)

// The in-flight and stored-bytes quotas compare a count read from the store
// now and then (reading it on every call would cost a scan or a read per
// queue) with what the call adds. A check against that count alone lets
// every concurrent call on a node pass together; so a call reserves what
// it may add, under the node's lock, and settles with what it used. A node
// thus never admits past the quota on its own, whatever its concurrency;
// what other nodes admitted since the count was read is what the quota can
// overshoot by (docs/architecture.md §7).

// maxCountedKeys bounds the keys (queues, accounts) a node keeps counts
// for; past it, it starts over, and the next calls read again.
const maxCountedKeys = 10_000

// Counting in-flight messages scans the index above now, and summing an
// account's stored bytes reads a count record per queue: too much for
// every receive or send, so both are kept a little while.
const (
	inFlightMaxAge = time.Second
	storedMaxAge   = 2 * time.Second
)

// reservedCounts keeps, per key, the stored count and this node's
// admissions since it was read.
type reservedCounts[K comparable] struct {
	maxAge time.Duration
	mu     sync.Mutex
	counts map[K]*reservedCount
}

type reservedCount struct {
	stored  int64     // as last read
	readAt  time.Time // when
	pending int64     // reserved by calls still running
	settled int64     // used by calls that finished since the read began
	// reading is closed when the read in progress ends; nil when none
	// is. Calls that find the count stale while another reads wait for
	// that read rather than each paying for one of their own.
	reading chan struct{}
}

// Reservation is room taken under a count quota. Settle it with what the
// call used, once the call is done (or failed, with 0).
type Reservation struct {
	// Granted is how much was reserved: all that was asked for, or for
	// receives possibly less (the room left).
	Granted int64
	settle  func(used int64)
}

// Settle records that the call used used (at most Granted) and releases
// the rest. A zero Reservation settles as a no-op.
func (r Reservation) Settle(used int64) {
	if r.settle != nil {
		r.settle(used)
	}
}

// reserve takes up to want under limit for k, reading the count with read
// when the one kept is older than maxAge (or waiting, until ctx ends, for
// another caller's read of it). partial grants what is left
// when less than want is; otherwise it is all or nothing. It returns
// ok=false, and the count, when nothing can be granted.
func (c *reservedCounts[K]) reserve(ctx context.Context, k K, now time.Time, want, limit int64, partial bool, read func() (int64, error)) (Reservation, int64, bool, error) {
	c.mu.Lock()
	e := c.entry(k)
	for now.Sub(e.readAt) >= c.maxAge {
		if e.reading != nil {
			wait := e.reading
			c.mu.Unlock()
			select {
			case <-wait:
			case <-ctx.Done():
				return Reservation{}, 0, false, ctx.Err()
			}
			c.mu.Lock()
			e = c.entry(k)
			continue // read again if that read failed
		}
		// Calls settled before the read begins are in what it reads;
		// those settled during it may be counted twice until the next
		// read, which errs towards refusing.
		before := e.settled
		done := make(chan struct{})
		e.reading = done
		c.mu.Unlock()
		n, err := read()
		c.mu.Lock()
		if e.reading == done {
			e.reading = nil
		}
		close(done)
		if err != nil {
			c.mu.Unlock()
			return Reservation{}, 0, false, err
		}
		e = c.entry(k)
		e.stored, e.readAt = n, now
		e.settled -= min(before, e.settled)
	}
	defer c.mu.Unlock()
	used := e.stored + e.pending + e.settled
	grant := min(want, limit-used)
	if grant <= 0 || (!partial && grant < want) {
		return Reservation{}, used, false, nil
	}
	e.pending += grant
	var once sync.Once
	settle := func(n int64) {
		once.Do(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			e := c.entry(k)
			e.pending -= grant
			e.settled += max(0, min(n, grant))
		})
	}
	return Reservation{Granted: grant, settle: settle}, used, true, nil
}

// entry returns k's entry, making room when there are too many. An entry
// dropped while calls hold reservations on it only costs accuracy until
// the next read. Callers hold c.mu.
func (c *reservedCounts[K]) entry(k K) *reservedCount {
	if e, ok := c.counts[k]; ok {
		return e
	}
	if c.counts == nil || len(c.counts) >= maxCountedKeys {
		c.counts = map[K]*reservedCount{}
	}
	e := &reservedCount{}
	c.counts[k] = e
	return e
}
