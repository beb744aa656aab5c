package gcpace_test

import (
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/internal/gcpace"
)

const mib = 1 << 20

func TestPercentFor(t *testing.T) {
	for _, c := range []struct {
		live, headroom uint64
		want           int
	}{
		{5 * mib, 64 * mib, 1280},   // the next collection after 64 MiB more
		{16 * mib, 64 * mib, 400},   // the same headroom, a smaller percentage
		{64 * mib, 64 * mib, 100},   // Go's default doubling is as much
		{1024 * mib, 64 * mib, 100}, // never below Go's default
		{0, 64 * mib, 1600},         // Go's floor scales to 4 MiB × 16 = 64 MiB
		{1024, 64 * mib, 1600},      // a near-empty heap: the floor, not 6,553,600 %
	} {
		if got := gcpace.PercentFor(c.live, c.headroom); got != c.want {
			t.Errorf("PercentFor(%d, %d) = %d, want %d", c.live, c.headroom, got, c.want)
		}
	}
}

func TestWantedUnlessGOGCIsSet(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	if !gcpace.Wanted(getenv) {
		t.Error("not wanted with GOGC unset")
	}
	env["GOGC"] = "200"
	if gcpace.Wanted(getenv) {
		t.Error("wanted with GOGC=200: the operator's choice would be overridden")
	}
}

// runtimePercent is the percentage the runtime applies now.
func runtimePercent() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int(s[0].Value.Uint64())
}

// collectUntil runs collections until ok holds; a pacer adjusts after a
// collection, in the runtime's cleanup goroutine.
func collectUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10 s (runtime at %d %%)", what, runtimePercent())
		}
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
}

var keep []byte

func TestPacerFollowsTheLiveHeap(t *testing.T) {
	before := runtimePercent()
	p := gcpace.Start(16 * mib)
	// This test binary's live heap is well under 16 MiB.
	collectUntil(t, "a small heap", func() bool { return p.Percent() > 100 && runtimePercent() == p.Percent() })

	keep = make([]byte, 64*mib) // live, past the headroom
	for i := range keep {
		keep[i] = 1
	}
	collectUntil(t, "a heap past the headroom", func() bool { return p.Percent() == 100 && runtimePercent() == 100 })

	keep = nil
	collectUntil(t, "the heap small again", func() bool { return p.Percent() > 100 && runtimePercent() == p.Percent() })

	p.Stop()
	if got := runtimePercent(); got != before {
		t.Fatalf("after Stop the runtime is at %d %%, want %d as before Start", got, before)
	}
	keep = make([]byte, 64*mib)
	runtime.GC()
	keep = nil
	for range 3 {
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
	if got := runtimePercent(); got != before {
		t.Fatalf("a stopped pacer still set the runtime to %d %%", got)
	}
	p.Stop() // twice is harmless
}
