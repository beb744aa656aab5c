package queue

import (
	"sync"
	"time"
)

// inflight is a received message from receipt until it is settled
// (deleted, or given back with a visibility change).
type inflight struct {
	msg *Received
	// The fields below are guarded by tracker.mu.
	deadline  time.Time     // when its visibility timeout ends, as far as we know
	settled   bool          // delete or visibility change decided: never extend again
	extending chan struct{} // non-nil while a heartbeat call includes it
}

// tracker holds the unsettled messages the heartbeat keeps invisible.
type tracker struct {
	mu  sync.Mutex
	set map[*inflight]struct{}
}

func newTracker() *tracker { return &tracker{set: map[*inflight]struct{}{}} }

func (t *tracker) add(m *inflight) {
	t.mu.Lock()
	t.set[m] = struct{}{}
	t.mu.Unlock()
}

// settle takes m out of the heartbeat's reach and waits for any extension
// already sent for it, so no extension can follow its delete. It reports
// false if m was settled already (abandoned at the drain deadline).
func (t *tracker) settle(m *inflight) bool {
	t.mu.Lock()
	if m.settled {
		t.mu.Unlock()
		return false
	}
	m.settled = true
	delete(t.set, m)
	wait := m.extending
	t.mu.Unlock()
	if wait != nil {
		<-wait
	}
	return true
}

// settleAll settles every message still tracked and returns them.
func (t *tracker) settleAll() []*inflight {
	t.mu.Lock()
	all := make([]*inflight, 0, len(t.set))
	var waits []chan struct{}
	for m := range t.set {
		m.settled = true
		all = append(all, m)
		if m.extending != nil {
			waits = append(waits, m.extending)
		}
	}
	clear(t.set)
	t.mu.Unlock()
	for _, w := range waits {
		<-w
	}
	return all
}

// due returns the messages whose visibility ends within threshold of now
// and marks them as being extended.
func (t *tracker) due(now time.Time, threshold time.Duration) []*inflight {
	t.mu.Lock()
	defer t.mu.Unlock()
	var due []*inflight
	for m := range t.set {
		if m.extending == nil && m.deadline.Sub(now) < threshold {
			m.extending = make(chan struct{})
			due = append(due, m)
		}
	}
	return due
}

// extended ends an extension of ms: those in ok now expire at deadline.
func (t *tracker) extended(ms []*inflight, ok []bool, deadline time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, m := range ms {
		if ok[i] {
			m.deadline = deadline
		}
		close(m.extending)
		m.extending = nil
	}
}
