// Package meter is usage metering on a node: an admission.Meter that
// aggregates every call in memory per (account, region, queue, hour) and
// flushes the node's cumulative counters to the store every few seconds,
// one usage record per window and node incarnation (billing/usage), so a
// repeated or retried flush overwrites instead of adding. A kill -9 loses
// what was counted since the last flush; Close flushes everything.
package meter

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sluice-mq/sluice/billing/usage"
	"github.com/sluice-mq/sluice/data-plane/admission"
	"github.com/sluice-mq/sluice/data-plane/quota"
	"github.com/sluice-mq/sluice/internal/kv"
)

// DefaultInterval is how often Run flushes.
const DefaultInterval = 2 * time.Second

// maxBatch bounds the records one flush transaction writes.
const maxBatch = 256

// unitBytes is SQS's request unit: each 64 KiB of payload is one request.
const unitBytes = 64 << 10

// Units returns the request units of a call with payload bytes:
// max(1, ceil(payload / 64 KiB)).
func Units(payload int64) int64 {
	if payload <= 0 {
		return 1
	}
	return (payload + unitBytes - 1) / unitBytes
}

// Options configures a Meter.
type Options struct {
	Store kv.Store
	// Clock returns the current time; nil is time.Now.
	Clock func() time.Time
	// Interval is how often Run flushes; 0 is DefaultInterval.
	Interval time.Duration
	// Incarnation overrides the random id of this process (tests).
	Incarnation string
	Logger      *slog.Logger
}

type window struct {
	account, region, queue string
	hour                   int64 // Unix seconds of the hour's start
}

type entry struct {
	c     usage.Counters // cumulative for the window, this incarnation
	dirty bool
}

// Meter counts usage. It is safe for concurrent use.
type Meter struct {
	store    kv.Store
	clock    func() time.Time
	interval time.Duration
	inc      string
	log      *slog.Logger

	mu      sync.Mutex
	windows map[window]*entry

	flushMu sync.Mutex // one flush at a time, so an older snapshot never lands last

	stop chan struct{}
	once sync.Once
}

var _ admission.Meter = (*Meter)(nil)

// New returns a Meter writing to opts.Store.
func New(opts Options) *Meter {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Incarnation == "" {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			panic(err)
		}
		opts.Incarnation = hex.EncodeToString(b[:])
	}
	if len(opts.Incarnation) != 16 {
		panic("meter: an incarnation is 16 hex digits")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Meter{
		store: opts.Store, clock: opts.Clock, interval: opts.Interval,
		inc: opts.Incarnation, log: opts.Logger,
		windows: map[window]*entry{},
		stop:    make(chan struct{}),
	}
}

// Incarnation is this meter's random id, part of every record key it writes.
func (m *Meter) Incarnation() string { return m.inc }

func hourStart(t time.Time) int64 {
	s := t.Unix()
	return s - ((s%3600)+3600)%3600
}

// entryLocked returns the window's entry; m.mu must be held.
func (m *Meter) entryLocked(w window) *entry {
	e := m.windows[w]
	if e == nil {
		e = &entry{}
		m.windows[w] = e
	}
	e.dirty = true
	return e
}

// Count meters one call: O(1), a brief lock, no I/O.
func (m *Meter) Count(u admission.Usage) {
	t := usage.TypeStandard
	if u.FIFO() {
		t = usage.TypeFIFO
	}
	w := window{account: u.Account, region: u.Region, queue: u.Queue, hour: hourStart(m.clock())}
	var units int64
	var class int
	if !u.Throttled && !u.Unauthenticated {
		class = classOf(u.Action)
		switch class {
		case usage.ClassSend:
			units = Units(u.InBytes)
		case usage.ClassReceive:
			units = Units(u.OutBytes)
		default:
			units = 1
		}
	}
	m.mu.Lock()
	e := m.entryLocked(w)
	switch {
	case u.Unauthenticated:
		e.c.Unauthenticated++
	case u.Throttled:
		e.c.Throttled[t]++
	default:
		e.c.Requests[t][class] += units
	}
	e.c.IngressBytes += u.InBytes
	e.c.EgressBytes += u.OutBytes
	m.mu.Unlock()
}

func classOf(action string) int {
	switch quota.ClassOf(action) {
	case quota.Send:
		return usage.ClassSend
	case quota.Receive:
		return usage.ClassReceive
	case quota.Delete:
		return usage.ClassDelete
	}
	return usage.ClassAdmin
}

// Sample adds one minute of a queue's existence with hot and cold bytes
// stored (the storage sampler's reading).
func (m *Meter) Sample(account, region, queue string, hot, cold int64, at time.Time) {
	w := window{account: account, region: region, queue: queue, hour: hourStart(at)}
	m.mu.Lock()
	e := m.entryLocked(w)
	e.c.StorageByteMinutes[usage.TierHot] += hot
	e.c.StorageByteMinutes[usage.TierCold] += cold
	e.c.QueueMinutes++
	m.mu.Unlock()
}

type pending struct {
	w window
	c usage.Counters
}

// Flush writes the cumulative counters of every window counted since the
// last flush, at most maxBatch records a transaction. Records are
// overwritten, never added to, so a retry is harmless; windows of past
// hours are forgotten once written.
func (m *Meter) Flush(ctx context.Context) error {
	m.flushMu.Lock()
	defer m.flushMu.Unlock()
	now := m.clock()
	current := hourStart(now)
	m.mu.Lock()
	var todo []pending
	for w, e := range m.windows {
		if e.dirty {
			todo = append(todo, pending{w, e.c})
			e.dirty = false
		} else if w.hour < current {
			delete(m.windows, w) // written, and no call counts into it any more
		}
	}
	m.mu.Unlock()
	for i := 0; i < len(todo); i += maxBatch {
		batch := todo[i:min(i+maxBatch, len(todo))]
		err := m.store.Update(ctx, func(tx kv.Txn) error {
			for _, p := range batch {
				key := usage.RecordKey(p.w.account, p.w.region, p.w.queue, time.Unix(p.w.hour, 0), m.inc)
				if err := tx.Set(key, usage.EncodeRecord(&p.c, now)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			m.redirty(todo[i:])
			return fmt.Errorf("flush usage: %w", err)
		}
	}
	return nil
}

// redirty marks the windows of unwritten records for the next flush.
func (m *Meter) redirty(ps []pending) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range ps {
		if e := m.windows[p.w]; e != nil {
			e.dirty = true
		} else {
			m.windows[p.w] = &entry{c: p.c, dirty: true}
		}
	}
}

// Run flushes every interval until Close (or ctx ends).
func (m *Meter) Run(ctx context.Context) {
	t := time.NewTicker(m.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.stop:
			return
		case <-t.C:
		}
		if err := m.Flush(ctx); err != nil && ctx.Err() == nil {
			m.log.Warn("usage flush failed", "error", err)
		}
	}
}

// Start runs Run in a goroutine.
func (m *Meter) Start(ctx context.Context) {
	go m.Run(ctx)
}

// Close stops Run, if started, and flushes everything counted. Calls
// counted after Close are not written.
func (m *Meter) Close(ctx context.Context) error {
	m.once.Do(func() { close(m.stop) })
	return m.Flush(ctx)
}
