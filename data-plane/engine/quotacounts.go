package engine

import (
	"context"
	"sync"
	"time"

	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
)

// The in-flight and stored-bytes quotas compare a count read from the store
// now and then (reading it on every call would cost a scan or a read per
// queue) with what the call adds. A check against that count alone lets
// every concurrent call on a node pass together; so a call reserves what
// it may add, under the node's lock, and settles with what it used. A node
// thus never admits past the quota on its own, whatever its concurrency;
// what other nodes admitted since the count was read is what the quota can
// overshoot by (docs/architecture.md §7).

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
// when the one kept is older than maxAge. partial grants what is left
// when less than want is; otherwise it is all or nothing. It returns
// ok=false, and the count, when nothing can be granted.
func (c *reservedCounts[K]) reserve(k K, now time.Time, want, limit int64, partial bool, read func() (int64, error)) (Reservation, int64, bool, error) {
	c.mu.Lock()
	e := c.entry(k)
	if now.Sub(e.readAt) >= c.maxAge {
		// Calls settled before the read begins are in what it reads;
		// those settled during it may be counted twice until the next
		// read, which errs towards refusing.
		before := e.settled
		c.mu.Unlock()
		n, err := read()
		if err != nil {
			return Reservation{}, 0, false, err
		}
		c.mu.Lock()
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

// current returns k's count as this node knows it.
func (c *reservedCounts[K]) current(k K, now time.Time, read func() (int64, error)) (int64, error) {
	r, used, ok, err := c.reserve(k, now, 0, 1<<62, true, read)
	if ok {
		r.Settle(0)
	}
	return used, err
}

// entry returns k's entry, making room when there are too many. An entry
// dropped while calls hold reservations on it only costs accuracy until
// the next read. Callers hold c.mu.
func (c *reservedCounts[K]) entry(k K) *reservedCount {
	if e, ok := c.counts[k]; ok {
		return e
	}
	if c.counts == nil || len(c.counts) >= maxCachedQueues {
		c.counts = map[K]*reservedCount{}
	}
	e := &reservedCount{}
	c.counts[k] = e
	return e
}

// ReserveInFlight admits a receive of up to want messages from the queue
// under the account's in-flight quota (limit 0: none). It grants what is
// left, or answers OverLimit when nothing is.
func (e *Engine) ReserveInFlight(ctx context.Context, ref queues.Ref, want, limit int64) (Reservation, error) {
	if limit <= 0 {
		return Reservation{Granted: want}, nil
	}
	r, used, ok, err := e.inFlight.reserve(ref, e.clock(), want, limit, true, func() (int64, error) { return e.readInFlight(ctx, ref) })
	if err != nil || ok {
		return r, err
	}
	return r, errorf(sqserr.CodeOverLimit, "The queue has %d messages in flight, the account's quota of %d.", used, limit)
}

// ReserveStoredBytes admits a send of bytes (bodies plus attributes) under
// the account's stored-bytes quota (limit 0: none), all or nothing.
func (e *Engine) ReserveStoredBytes(ctx context.Context, account string, bytes, limit int64) (Reservation, error) {
	if limit <= 0 {
		return Reservation{Granted: bytes}, nil
	}
	r, used, ok, err := e.stored.reserve(account, e.clock(), bytes, limit, false, func() (int64, error) { return e.readStoredBytes(ctx, account) })
	if err != nil || ok {
		return r, err
	}
	return r, errorf(sqserr.CodeOverLimit, "The account stores %d bytes of messages; its quota is %d.", used, limit)
}
