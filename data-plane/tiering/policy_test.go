package tiering_test

import (
	"testing"

	"github.com/sluice-mq/sluice/data-plane/tiering"
)

func TestHotCutoff(t *testing.T) {
	if got := tiering.HotCutoff(100_000, 60, false); got != 40_000 {
		t.Fatalf("within budget: %d, want 40000", got)
	}
	if got := tiering.HotCutoff(100_000, 60, true); got != 100_000 {
		t.Fatalf("over budget: %d, want now", got)
	}
}

func TestBudgetShare(t *testing.T) {
	// Shares asked of three shards in turn, each rolling what it is asked,
	// cover the excess.
	over := int64(1000)
	for left := 3; left > 0; left-- {
		over -= tiering.BudgetShare(over, left)
	}
	if over > 0 {
		t.Fatalf("shares left %d bytes over", over)
	}
	if got := tiering.BudgetShare(10, 1); got != 11 {
		t.Fatalf("last shard: %d, want 11", got)
	}
}

func TestDeferSmall(t *testing.T) {
	const hot, interval = 60_000, 10_000
	now := int64(1_000_000)
	cutoff := now - hot
	cases := []struct {
		name          string
		records, size int
		oldest        int64
		wantWait      bool
		wantUntil     int64
	}{
		{"small and fresh waits", 2, 100, cutoff, true, cutoff + hot + hot},
		{"many records", 8, 100, cutoff, false, 0},
		{"many bytes", 2, 512, cutoff, false, 0},
		{"waited long enough", 2, 100, cutoff - hot, false, 0},
		{"almost long enough", 2, 100, cutoff - hot + 1, true, cutoff + 1 + hot},
	}
	for _, c := range cases {
		until, wait := tiering.DeferSmall(c.records, c.size, 64, 4096, c.oldest, cutoff, hot, interval)
		if wait != c.wantWait || until != c.wantUntil {
			t.Errorf("%s: (%d, %v), want (%d, %v)", c.name, until, wait, c.wantUntil, c.wantWait)
		}
	}
	// A tiering interval longer than the hot window is the patience.
	if _, wait := tiering.DeferSmall(1, 1, 64, 4096, cutoff-hot, cutoff, hot, 2*hot); !wait {
		t.Error("patience ignored the interval")
	}
}

func TestSegmentFate(t *testing.T) {
	cases := []struct {
		records, dead int64
		want          tiering.SegmentAction
	}{
		{10, 0, tiering.KeepSegment},
		{10, 5, tiering.KeepSegment}, // half live: not below CompactBelow
		{10, 6, tiering.CompactSegment},
		{10, 10, tiering.RetireSegment},
		{10, 11, tiering.RetireSegment},
	}
	for _, c := range cases {
		if got := tiering.SegmentFate(c.records, c.dead); got != c.want {
			t.Errorf("SegmentFate(%d, %d) = %d, want %d", c.records, c.dead, got, c.want)
		}
	}
}
