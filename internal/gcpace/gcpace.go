// Package gcpace keeps the Go collector from running on every few
// megabytes a server allocates.
//
// Go sets the next collection at the live heap plus (live heap + goroutine
// stacks + globals) × GOGC/100, with a floor of 4 MiB × GOGC/100. A
// Sluice node's live heap is small (about 5 MiB with Pebble's memory off
// the Go heap), and every request allocates, so under load it collected
// some 30 times a second and the collector took about 7 % of the server's
// CPU. Pacing gives the heap a fixed headroom instead: after each
// collection it sets the percentage so that the next one comes after
// Headroom bytes more, or where Go's default would put it if that is
// later. The heap then costs at most Headroom more than under Go's own
// pacing, however large the live heap.
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

// What a collection found, for the next goal.
var pacingMetrics = []string{"/gc/heap/live:bytes", "/gc/scan/stack:bytes", "/gc/scan/globals:bytes"}

// The collector's percentage belongs to the process, so every Pacer holds
// the one pacing of it: the first Start begins it, the last Stop ends it
// and restores the percentage from before the first Start.
var process struct {
	mu       sync.Mutex
	holds    int
	headroom uint64
	previous int
	percent  int // the percentage last set
	pacing   bool
	run      uint64 // which pacing is on: an older one's cleanup ends
	sample   []metrics.Sample
}

// Pacer is a hold on the process's pacing of the collector.
type Pacer struct{ once sync.Once }

// Wanted reports whether a process should pace its collector: not when
// GOGC is set, which says the operator has chosen.
func Wanted(getenv func(string) string) bool {
	return getenv("GOGC") == ""
}

// Start paces the collector with the given headroom in bytes (0:
// DefaultHeadroom) until Stop. While the process is paced already, it
// keeps the headroom it has.
func Start(headroom uint64) *Pacer {
	if headroom == 0 {
		headroom = DefaultHeadroom
	}
	process.mu.Lock()
	defer process.mu.Unlock()
	process.holds++
	if process.holds == 1 {
		process.headroom = headroom
		process.previous = debug.SetGCPercent(100)
		process.percent = 100
		process.pacing = true
		process.run++
		process.sample = make([]metrics.Sample, len(pacingMetrics))
		for i, name := range pacingMetrics {
			process.sample[i].Name = name
		}
		adjustLocked()
		arm(process.run)
	}
	return &Pacer{}
}

// Percent is the collector percentage the pacing set last; 0 when the
// process is not paced.
func Percent() int {
	process.mu.Lock()
	defer process.mu.Unlock()
	if !process.pacing {
		return 0
	}
	return process.percent
}

// Stop releases the hold; the last one ends the pacing and restores the
// percentage from before it began. A second Stop does nothing.
func (p *Pacer) Stop() {
	p.once.Do(func() {
		process.mu.Lock()
		defer process.mu.Unlock()
		process.holds--
		if process.holds == 0 {
			process.pacing = false
			debug.SetGCPercent(process.previous)
		}
	})
}

// arm asks to be called after the next collection: a cleanup runs once
// its object is found unreachable, that is, after a collection, and arms
// the next one, while the pacing it belongs to is on.
func arm(run uint64) {
	token := new([64]byte) // not a tiny allocation, so it is freed alone
	runtime.AddCleanup(token, func(run uint64) {
		process.mu.Lock()
		defer process.mu.Unlock()
		if process.pacing && process.run == run {
			adjustLocked()
			arm(run)
		}
	}, run)
}

// adjustLocked sets the percentage from what the last collection found.
// Call it with process.mu held.
func adjustLocked() {
	metrics.Read(process.sample)
	live := process.sample[0].Value.Uint64()
	roots := process.sample[1].Value.Uint64() + process.sample[2].Value.Uint64()
	if percent := PercentFor(live, roots, process.headroom); percent != process.percent {
		debug.SetGCPercent(percent)
		process.percent = percent
	}
}

// PercentFor is the collector percentage that lets a heap of live bytes,
// with roots bytes of goroutine stacks and globals to scan, grow by
// headroom bytes, and by no less than Go's default of 100 % would. It also
// keeps Go's scaled minimum goal within live + headroom, which bounds it
// while the heap is near empty (as just after start).
func PercentFor(live, roots, headroom uint64) int {
	percent := (live + headroom) * 100 / goHeapMinimum
	if live+roots > 0 {
		percent = min(percent, headroom*100/(live+roots))
	}
	return int(max(100, percent))
}
