package soak

import (
	"strings"
	"testing"
	"time"
)

const ms = time.Millisecond

// calls makes n calls a second for run seconds; took(s, i) is the i-th
// call's latency in second s.
func calls(run, n int, took func(s, i int) time.Duration) []Call {
	var cs []Call
	for s := range run {
		for i := range n {
			cs = append(cs, Call{At: time.Duration(s)*time.Second + time.Duration(i)*time.Second/time.Duration(n), Took: took(s, i)})
		}
	}
	return cs
}

func TestWindows(t *testing.T) {
	// 100 calls a second taking 1..100 ms: p50 50 ms, p99 99 ms per window.
	cs := calls(30, 100, func(_, i int) time.Duration { return time.Duration(i+1) * ms })
	cs = append(cs, Call{At: 31 * time.Second, Took: time.Hour}) // after the run: left out
	ws := Windows(cs, 10*time.Second, 30*time.Second)
	if len(ws) != 3 {
		t.Fatalf("%d windows, want 3", len(ws))
	}
	for _, w := range ws {
		if w.Calls != 1000 || w.P50 != 50*ms || w.P99 != 99*ms {
			t.Errorf("window %v–%v: %d calls, p50 %v, p99 %v; want 1000, 50ms, 99ms", w.Start, w.End, w.Calls, w.P50, w.P99)
		}
	}
	if ws := Windows(nil, 10*time.Second, 25*time.Second); len(ws) != 3 || ws[2].End != 25*time.Second || ws[2].P99 != 0 {
		t.Errorf("a partial last window: %+v", ws)
	}
}

func TestStabilityCheck(t *testing.T) {
	s := Stability{Factor: 3, Floor: 100 * ms}
	const run, width = 180, 10 * time.Second
	judge := func(took func(sec, i int) time.Duration) (int, error) {
		return s.Check(Windows(calls(run, 50, took), width, run*time.Second))
	}
	steady := func(_, i int) time.Duration { return time.Duration(5+i%20) * ms }

	if over, err := judge(steady); err != nil || over != 0 {
		t.Errorf("steady: %d over, %v", over, err)
	}
	// A neighbour takes the CPU for two windows: p99 of seconds there.
	if over, err := judge(func(sec, i int) time.Duration {
		if sec >= 150 && sec < 170 && i == 0 {
			return 2 * time.Second
		}
		return steady(sec, i)
	}); err != nil || over != 2 {
		t.Errorf("two slow windows: %d over (want 2), %v", over, err)
	}
	// A slow start (the first window) is warm-up.
	if _, err := judge(func(sec, i int) time.Duration {
		if sec < 10 {
			return time.Second
		}
		return steady(sec, i)
	}); err != nil {
		t.Errorf("slow first window: %v", err)
	}
	// Latency that climbs with the run, 10 ms more each second.
	if _, err := judge(func(sec, i int) time.Duration { return steady(sec, i) + time.Duration(10*sec)*ms }); err == nil || !strings.Contains(err.Error(), "p99 rose") {
		t.Errorf("climbing latency: got %v, want p99 rose", err)
	}
	// A step: every call half a second slower from 2 minutes on.
	if _, err := judge(func(sec, i int) time.Duration {
		if sec >= 120 {
			return steady(sec, i) + 500*ms
		}
		return steady(sec, i)
	}); err == nil || !strings.Contains(err.Error(), "p99 rose") {
		t.Errorf("a step in latency: got %v, want p99 rose", err)
	}
	// Clients stuck: no calls in the last windows.
	stuck := Windows(calls(150, 50, steady), width, run*time.Second)
	if _, err := s.Check(stuck); err == nil || !strings.Contains(err.Error(), "no calls") {
		t.Errorf("no calls in the last windows: got %v", err)
	}
	if _, err := s.Check(stuck[:5]); err == nil {
		t.Errorf("5 windows judged")
	}
}
