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
		live, roots, headroom uint64
		want                  int
	}{
		{5 * mib, 0, 32 * mib, 640},         // the next collection after 32 MiB more
		{5 * mib, 3 * mib, 32 * mib, 400},   // stacks and globals count in Go's goal
		{10 * mib, 40 * mib, 32 * mib, 100}, // idle goroutines' stacks: Go's default is more
		{16 * mib, 0, 32 * mib, 200},        // the same headroom, a smaller percentage
		{32 * mib, 0, 32 * mib, 100},        // Go's default doubling is as much
		{1024 * mib, 0, 32 * mib, 100},      // never below Go's default
		{0, 0, 32 * mib, 800},               // Go's floor scales to 4 MiB × 8 = 32 MiB
		{1024, 512, 32 * mib, 800},          // a near-empty heap: the floor, not millions of %
	} {
		if got := gcpace.PercentFor(c.live, c.roots, c.headroom); got != c.want {
			t.Errorf("PercentFor(%d, %d, %d) = %d, want %d", c.live, c.roots, c.headroom, got, c.want)
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
	collectUntil(t, "a small heap", func() bool { return gcpace.Percent() > 100 && runtimePercent() == gcpace.Percent() })

	keep = make([]byte, 64*mib) // live, past the headroom
	for i := range keep {
		keep[i] = 1
	}
	collectUntil(t, "a heap past the headroom", func() bool { return gcpace.Percent() == 100 && runtimePercent() == 100 })

	keep = nil
	collectUntil(t, "the heap small again", func() bool { return gcpace.Percent() > 100 && runtimePercent() == gcpace.Percent() })

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
	if got := runtimePercent(); got != before {
		t.Fatalf("a second Stop set the runtime to %d %%", got)
	}
}

// Two nodes in one process (as cmd/sluice's tests run them) share the
// pacing: stopped in either order, the last Stop restores the percentage
// from before the first Start, and one Stop leaves the other paced.
func TestPacersShareTheProcess(t *testing.T) {
	before := runtimePercent()
	a := gcpace.Start(16 * mib)
	b := gcpace.Start(16 * mib)
	collectUntil(t, "paced", func() bool { return gcpace.Percent() > 100 && runtimePercent() == gcpace.Percent() })
	a.Stop()
	a.Stop() // a second Stop of the same hold releases nothing more
	if gcpace.Percent() == 0 || runtimePercent() != gcpace.Percent() {
		t.Fatalf("one of two Stops ended the pacing: runtime %d %%, pacing %d %%", runtimePercent(), gcpace.Percent())
	}
	b.Stop()
	if got := runtimePercent(); got != before || gcpace.Percent() != 0 {
		t.Fatalf("after both Stops the runtime is at %d %% (pacing %d), want %d", got, gcpace.Percent(), before)
	}
}
