// Package gcpace keeps the Go collector from running on every few
// megabytes a server allocates.
//
// Go sets the next collection at the live heap × (1 + GOGC/100), with a
// floor of 4 MiB. A Sluice node's live heap is small (about 5 MiB with
// Pebble's memory off the Go heap), and every request allocates, so under
// load it collected some 30 times a second and the collector took about a
// tenth of the server's CPU. A Pacer gives the heap a fixed headroom
// instead: after each collection it sets the percentage so that the next
// one comes after Headroom bytes more, or after the live heap doubles if
// that is more. The heap then costs at most Headroom more than Go's own
// pacing would, however large the live heap.
package gcpace

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// DefaultHeadroom is the heap a server may allocate between collections
// when its live heap is small.
const DefaultHeadroom = 32 << 20

// goHeapMinimum is Go's smallest heap goal at 100 %; it scales with the
// percentage, so a large one raises it too.
const goHeapMinimum = 4 << 20

// liveHeapMetric is the heap the last collection found reachable.
const liveHeapMetric = "/gc/heap/live:bytes"

// Pacer sets the collector's percentage after every collection. Create it
// with Start; Stop it before the process ends, or to give Go its own
// pacing back.
type Pacer struct {
	headroom uint64
	previous int // the percentage before Start, restored by Stop

	mu      sync.Mutex
	stopped bool
	percent int // the percentage last set, for tests and logs
	sample  []metrics.Sample
}

// Wanted reports whether a process should pace its collector: not when
// GOGC is set, which says the operator has chosen.
func Wanted(getenv func(string) string) bool {
	return getenv("GOGC") == ""
}

// Start paces the collector with the given headroom in bytes (0:
// DefaultHeadroom) until Stop.
func Start(headroom uint64) *Pacer {
	if headroom == 0 {
		headroom = DefaultHeadroom
	}
	p := &Pacer{
		headroom: headroom,
		sample:   []metrics.Sample{{Name: liveHeapMetric}},
	}
	p.previous = debug.SetGCPercent(100)
	p.percent = 100
	p.adjust()
	p.arm()
	return p
}

// Percent is the collector percentage the pacer set last.
func (p *Pacer) Percent() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.percent
}

// Stop ends the pacing and restores the percentage from before Start.
func (p *Pacer) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return
	}
	p.stopped = true
	debug.SetGCPercent(p.previous)
}

// arm asks to be called after the next collection: a cleanup runs once
// its object is found unreachable, that is, after a collection, and arms
// the next one.
func (p *Pacer) arm() {
	token := new([64]byte) // not a tiny allocation, so it is freed alone
	runtime.AddCleanup(token, func(p *Pacer) {
		if p.adjust() {
			p.arm()
		}
	}, p)
}

// adjust sets the percentage from the live heap the last collection found;
// it reports false once the pacer is stopped.
func (p *Pacer) adjust() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return false
	}
	metrics.Read(p.sample)
	percent := PercentFor(p.sample[0].Value.Uint64(), p.headroom)
	if percent != p.percent {
		debug.SetGCPercent(percent)
		p.percent = percent
	}
	return true
}

// PercentFor is the collector percentage that lets a heap of live bytes
// grow by headroom bytes, and by no less than Go's default of 100 %. It
// also keeps Go's scaled minimum goal within live + headroom, which bounds
// it while the live heap is near empty (as just after start).
func PercentFor(live, headroom uint64) int {
	percent := (live + headroom) * 100 / goHeapMinimum
	if live > 0 {
		percent = min(percent, headroom*100/live)
	}
	return int(max(100, percent))
}
