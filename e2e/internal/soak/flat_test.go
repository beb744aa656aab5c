package soak

import (
	"math"
	"strings"
	"testing"
	"time"
)

const mib = 1 << 20

// series makes one sample a second for run seconds with value f(second).
func series(run int, f func(s int) float64) []Point {
	var ps []Point
	for s := range run + 1 {
		ps = append(ps, Point{At: time.Duration(s) * time.Second, Value: f(s)})
	}
	return ps
}

func TestGrowthCheck(t *testing.T) {
	heap := Growth{Factor: 1.25, Floor: 32 * mib}
	const run = 180
	cases := []struct {
		name   string
		g      Growth
		series []Point
		fail   string // "" when the series is flat
	}{
		{"constant", heap, series(run, func(int) float64 { return 80 * mib }), ""},
		{"a GC sawtooth", heap, series(run, func(s int) float64 { return float64(60+s%10*4) * mib }), ""},
		{"warm-up climbs, then level", heap, series(run, func(s int) float64 { return float64(min(s, 60)*3) * mib }), ""},
		{"one spike in the second third", heap, series(run, func(s int) float64 {
			if s == 90 {
				return 300 * mib
			}
			return 80 * mib
		}), ""},
		{"noise within the floor", heap, series(run, func(s int) float64 { return 40*mib + 20*mib*math.Sin(float64(s)) }), ""},
		// 3 MiB a second from 100 MiB: peaks 457 and 640 MiB, bound 603.
		{"a steady leak", Growth{Factor: 1.25, Floor: 32 * mib}, series(run, func(s int) float64 { return float64(100+3*s) * mib }), "grew"},
		// Half that is within the bound (peaks 278 and 370, bound 380):
		// the thirds catch a leak only when it grows by more than Factor−1
		// of the level plus Floor over a third of the run.
		{"a slower leak", Growth{Factor: 1.25, Floor: 32 * mib}, series(run, func(s int) float64 { return float64(100+3*s/2) * mib }), ""},
		{"a step in the last third", heap, series(run, func(s int) float64 {
			if s > 150 {
				return 250 * mib
			}
			return 100 * mib
		}), "grew"},
		{"goroutines leaking five a second", Growth{Factor: 1.25, Floor: 50}, series(run, func(s int) float64 { return float64(40 + 5*s) }), "grew"},
		{"goroutines flat", Growth{Factor: 1.25, Floor: 50}, series(run, func(s int) float64 { return float64(60 + s%7) }), ""},
		{"too few samples", heap, []Point{{At: 0, Value: 1}, {At: 100 * time.Second, Value: 1}, {At: 170 * time.Second, Value: 1}}, "too few samples"},
	}
	for _, c := range cases {
		err := c.g.Check("heap", c.series, run*time.Second)
		switch {
		case c.fail == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.fail != "" && (err == nil || !strings.Contains(err.Error(), c.fail)):
			t.Errorf("%s: got %v, want an error with %q", c.name, err, c.fail)
		}
	}
}

func TestThird(t *testing.T) {
	run := 90 * time.Second
	for at, want := range map[time.Duration]int{0: 0, 29 * time.Second: 0, 30 * time.Second: 1, 59 * time.Second: 1, 60 * time.Second: 2, 90 * time.Second: 2, 95 * time.Second: 2} {
		if got := third(at, run); got != want {
			t.Errorf("third(%v) = %d, want %d", at, got, want)
		}
	}
}

func TestCeiling(t *testing.T) {
	const run = 90
	warm := series(run, func(s int) float64 {
		if s < 20 {
			return 500 // start-up bursts are warm-up
		}
		return 100
	})
	if err := Ceiling("goroutines", warm, run*time.Second, 200); err != nil {
		t.Errorf("a burst during warm-up: %v", err)
	}
	late := series(run, func(s int) float64 {
		if s == 70 {
			return 201
		}
		return 100
	})
	if err := Ceiling("goroutines", late, run*time.Second, 200); err == nil || !strings.Contains(err.Error(), "at 1m10s: 201") {
		t.Errorf("one sample over the ceiling after warm-up: got %v", err)
	}
}
