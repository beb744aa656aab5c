package local

import (
	"testing"

	"github.com/sluice-mq/sluice/internal/kv"
)

func spliceOp(at, remove int, insert string) []byte {
	return kv.AppendSplice([]byte{kv.SpliceMarker}, at, remove, []byte(insert))
}

// merge runs the operator as Pebble does: the newest operand first, then
// older ones, and reports the result.
func merge(t *testing.T, newestFirst ...[]byte) []byte {
	t.Helper()
	m, err := spliceMerger.Merge(nil, newestFirst[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range newestFirst[1:] {
		if err := m.MergeOlder(v); err != nil {
			t.Fatal(err)
		}
	}
	out, _, err := m.Finish(true)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A compaction that meets some operands without the value below them
// joins them into one operand, oldest first; applied later to the value,
// it gives what the operands give one by one. Reverse iteration hands the
// operator the value first and the operands as newer ones.
func TestSpliceOperandsJoinWithoutTheirValue(t *testing.T) {
	older, newer := spliceOp(0, 2, "state1"), spliceOp(0, 6, "s2")
	joined := merge(t, newer, older)
	if joined[0] != kv.SpliceMarker {
		t.Fatalf("joined operands are not an operand: %q", joined)
	}
	want := "s2|body"
	if got := merge(t, joined, []byte("s0|body")); string(got) != want {
		t.Fatalf("joined operands applied: %q, want %q", got, want)
	}
	if got := merge(t, newer, older, []byte("s0|body")); string(got) != want {
		t.Fatalf("operands applied one by one: %q, want %q", got, want)
	}
	// Three operands, each over the last one's length: applied in order
	// whether the value comes with them or after they were joined.
	op1, op2, op3 := spliceOp(0, 2, "one"), spliceOp(0, 3, "second"), spliceOp(0, 6, "3")
	if got := merge(t, op3, op2, op1, []byte("s0|body")); string(got) != "3|body" {
		t.Fatalf("three operands applied: %q, want %q", got, "3|body")
	}
	if got := merge(t, merge(t, op3, op2, op1), []byte("s0|body")); string(got) != "3|body" {
		t.Fatalf("three operands joined, then applied: %q, want %q", got, "3|body")
	}
	m, err := spliceMerger.Merge(nil, []byte("s0|body"))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range [][]byte{older, newer} {
		if err := m.MergeNewer(v); err != nil {
			t.Fatal(err)
		}
	}
	if got, _, err := m.Finish(true); err != nil || string(got) != want {
		t.Fatalf("reverse order: %q, %v; want %q", got, err, want)
	}
	// A value newer than operands replaces them.
	if err := m.MergeNewer([]byte("v2")); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := m.Finish(true); string(got) != "v2" {
		t.Fatalf("a newer value: %q", got)
	}
	// An operand that does not fit its value fails the read, not the process
	// (Pebble aborts the merge on the first error).
	if m, _ := spliceMerger.Merge(nil, spliceOp(5, 9, "x")); m != nil {
		err := m.MergeOlder([]byte("short"))
		if err == nil {
			_, _, err = m.Finish(true)
		}
		if err == nil {
			t.Fatal("an operand past its value's end applied")
		}
	}
}
