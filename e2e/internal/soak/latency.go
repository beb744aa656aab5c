package soak

import (
	"fmt"
	"slices"
	"time"
)

// Call is one client call: when it was invoked and how long it took.
type Call struct {
	At, Took time.Duration
}

// Window is what the calls invoked in [Start, End) came to.
type Window struct {
	Start, End time.Duration
	Calls      int
	P50, P99   time.Duration
}

// Windows cuts [0, run) into windows of width and gives each its calls'
// count and latency percentiles; a call at or after run is left out.
func Windows(calls []Call, width, run time.Duration) []Window {
	if width <= 0 || run <= 0 {
		return nil
	}
	n := int((run + width - 1) / width)
	took := make([][]time.Duration, n)
	for _, c := range calls {
		if c.At < 0 || c.At >= run {
			continue
		}
		i := int(c.At / width)
		took[i] = append(took[i], c.Took)
	}
	ws := make([]Window, n)
	for i := range ws {
		slices.Sort(took[i])
		ws[i] = Window{Start: time.Duration(i) * width, End: min(run, time.Duration(i+1)*width), Calls: len(took[i]),
			P50: percentile(took[i], 50), P99: percentile(took[i], 99)}
	}
	return ws
}

// percentile of sorted durations by the nearest-rank method; 0 for none.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100 // ⌈p·n/100⌉
	return sorted[max(0, rank-1)]
}

// Stability bounds how far p99 latency may drift over a run. The baseline
// is the median p99 of the first third's windows after the first (the
// server and the clients warming up); the judged figure is the median p99
// of the last third's windows. Medians, not maxima: on a shared machine a
// window's p99 jumps whenever a neighbour takes the CPU, while a server
// that degrades — a queue's index growing, a leak's GC pressure — moves
// most windows, so their median.
type Stability struct {
	Factor float64
	Floor  time.Duration
}

// minWindows: the first third needs two windows after the first, the last
// third two.
const minWindows = 6

// Check judges windows (Windows' output for one run). It also returns how
// many windows after the first third were over the bound, to log.
func (s Stability) Check(ws []Window) (over int, err error) {
	if len(ws) < minWindows {
		return 0, fmt.Errorf("p99: %d windows, want at least %d", len(ws), minWindows)
	}
	n := len(ws)
	for _, w := range ws[n/3:] {
		if w.Calls == 0 { // clients that call nothing are stuck: no latency to judge
			return 0, fmt.Errorf("no calls invoked in [%v, %v)", w.Start, w.End)
		}
	}
	base := medianP99(ws[1 : n/3])
	judged := medianP99(ws[n-n/3:])
	bound := time.Duration(s.Factor*float64(base)) + s.Floor
	for _, w := range ws[n/3:] {
		if w.P99 > bound {
			over++
		}
	}
	if judged > bound {
		return over, fmt.Errorf("p99 rose: median %v over the last third's windows, %v over the first's; bound %v (×%.1f + %v)",
			judged, base, bound, s.Factor, s.Floor)
	}
	return over, nil
}

// medianP99 is the median of the windows' p99 (the lower middle for an
// even count); windows without calls are skipped.
func medianP99(ws []Window) time.Duration {
	var p []time.Duration
	for _, w := range ws {
		if w.Calls > 0 {
			p = append(p, w.P99)
		}
	}
	if len(p) == 0 {
		return 0
	}
	slices.Sort(p)
	return p[(len(p)-1)/2]
}
