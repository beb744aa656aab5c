// Package soak judges the series a long run records: whether the server's
// memory and goroutines stay flat, and its latency stable. It is pure: the
// test that runs the load takes the samples and hands them here.
package soak

import (
	"fmt"
	"time"
)

// Point is one sample of a series: a value at a time since the run began.
type Point struct {
	At    time.Duration
	Value float64
}

// Growth bounds how far a series may rise once the run is warm. The run is
// cut into thirds by time: the first is warm-up (caches filling, the heap
// finding its GC target), the second the baseline, the last the judged
// part. The series is flat when its peak in the last third is at most
// Factor times its peak in the second plus Floor. Peaks, not means: a
// garbage-collected heap saws up and down, and its highs are what grows
// when something leaks. The floor keeps a small series (a few goroutines,
// a heap of tens of MiB) from failing on noise.
type Growth struct {
	Factor float64
	Floor  float64
}

// minPerThird is how many samples the second and last thirds each need
// for their peaks to mean anything.
const minPerThird = 2

// Check judges series over a run of length run (the samples' At lie in
// [0, run]). The error names the series, both peaks and the bound.
func (g Growth) Check(name string, series []Point, run time.Duration) error {
	base, last, err := peaks(series, run)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	bound := g.Factor*base + g.Floor
	if last > bound {
		return fmt.Errorf("%s grew: peak %.0f in the last third, %.0f in the second; bound %.0f (×%.2f + %.0f)",
			name, last, base, bound, g.Factor, g.Floor)
	}
	return nil
}

// peaks returns the series' maximum in the second and the last third of run.
func peaks(series []Point, run time.Duration) (second, last float64, err error) {
	if run <= 0 {
		return 0, 0, fmt.Errorf("run of %v", run)
	}
	var nSecond, nLast int
	for _, p := range series {
		switch third(p.At, run) {
		case 1:
			second = maxOf(nSecond, second, p.Value)
			nSecond++
		case 2:
			last = maxOf(nLast, last, p.Value)
			nLast++
		}
	}
	if nSecond < minPerThird || nLast < minPerThird {
		return 0, 0, fmt.Errorf("too few samples to judge: %d in the second third, %d in the last (want %d each)",
			nSecond, nLast, minPerThird)
	}
	return second, last, nil
}

// third is 0, 1 or 2: which third of run at falls in (the end belongs to
// the last).
func third(at, run time.Duration) int {
	return min(2, max(0, int(3*at/run)))
}

func maxOf(n int, cur, v float64) float64 {
	if n == 0 || v > cur {
		return v
	}
	return cur
}

// Ceiling checks that no sample of series after warm-up (the first third of
// run) exceeds limit: for goroutines, whose count a healthy server bounds
// by a constant plus what its clients hold open.
func Ceiling(name string, series []Point, run time.Duration, limit float64) error {
	for _, p := range series {
		if third(p.At, run) > 0 && p.Value > limit {
			return fmt.Errorf("%s at %v: %.0f, over the ceiling of %.0f", name, p.At.Round(time.Second), p.Value, limit)
		}
	}
	return nil
}
