package engine

import (
	"testing"
	"time"
)

// A kept window vouches for its shard's ready entries only up to the
// scan's clock (less the write guard's reading), and when the scan filled
// its limit only through its last entry; the merge stops at the lowest
// such bound, and the shard vouching least is scanned first.
func TestKeptWindowBounds(t *testing.T) {
	mono := time.Unix(0, 0)
	cw := newClaimWindows(func() time.Time { return mono })
	var d did
	en := func(shard uint8, at int64) readyEntry {
		return readyEntry{visibleAt: at, id: msgID{byte(at)}, shard: shard}
	}
	p := cw.load(d, 2, 1_000)
	if _, missing := p.upTo(); !missing {
		t.Fatal("a plan with no windows vouches for something")
	}
	// Shard 0 full through 30; shard 1 not full, scanned at 1000 with an
	// Update of this node in progress since 40.
	p.windows[0] = &shardWindow{entries: []readyEntry{en(0, 10), en(0, 20), en(0, 30)}, full: true, below: 1_000, scanned: 1_000, at: mono}
	p.windows[1] = &shardWindow{entries: []readyEntry{en(1, 15), en(1, 35), en(1, 50)}, below: 40, scanned: 1_000, at: mono}
	p.fresh[0], p.fresh[1] = true, true
	bound, _ := p.upTo()
	if got := p.merged(bound); len(got) != 4 || got[3] != en(0, 30) {
		t.Fatalf("fresh windows merged to %+v, want 10, 15, 20, 30 (through full shard 0's last)", got)
	}
	cw.save(p, []readyEntry{en(0, 10)})

	// The next claim: the kept windows less what was taken, through
	// shard 0's last; shard 0 vouches least, so it is scanned first.
	p = cw.load(d, 2, 1_100)
	bound, missing := p.upTo()
	got := p.merged(bound)
	if missing || len(got) != 3 || got[0] != en(1, 15) || got[2] != en(0, 30) {
		t.Fatalf("kept windows merged to %+v (missing %v), want 15, 20, 30 (10 was taken)", got, missing)
	}
	if shard, ok := p.nextToScan(); !ok || shard != 0 {
		t.Fatalf("next to scan: shard %d (%v), want 0, which vouches only through 30", shard, ok)
	}
	// Shard 0 scanned again, not full: now shard 1's kept window bounds
	// the merge, below 40, the write guard's reading: 50 may have company
	// from the writer that was in progress.
	p.windows[0] = &shardWindow{entries: []readyEntry{en(0, 20), en(0, 30)}, below: 1_100, scanned: 1_100, at: mono}
	p.fresh[0] = true
	bound, _ = p.upTo()
	if got := p.merged(bound); len(got) != 4 || got[3] != en(1, 35) {
		t.Fatalf("merged to %+v, want 15, 20, 30, 35 and not 50", got)
	}
	if _, ok := p.nextToScan(); !ok {
		t.Fatal("shard 1, kept, is not offered for a scan")
	}

	// A save from a plan loaded before a drop is not kept.
	stale := cw.load(d, 2, 1_100)
	cw.drop(d)
	cw.save(stale, nil)
	if p := cw.load(d, 2, 1_100); p.windows[0] != nil || p.windows[1] != nil {
		t.Fatal("windows saved over a drop")
	}

	// Windows die after windowLife, and when the engine clock stands
	// before their scan.
	p = cw.load(d, 2, 1_000)
	p.windows[0] = &shardWindow{below: 1_000, scanned: 1_000, at: mono}
	cw.save(p, nil)
	if p := cw.load(d, 2, 999); p.windows[0] != nil {
		t.Fatal("a window was used by a clock before its scan")
	}
	mono = mono.Add(windowLife)
	if p := cw.load(d, 2, 2_000); p.windows[0] != nil {
		t.Fatal("a window outlived windowLife")
	}
}
