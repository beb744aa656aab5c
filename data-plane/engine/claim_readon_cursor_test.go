package engine

import "testing"

// A read-on cursor is used until its life runs out, then dropped: under a
// steady backlog walks from it fill before the shard's end and would
// never drop it, leaving the entries it passed over unread.
func TestReadOnCursorLife(t *testing.T) {
	r := newReadOnCursors()
	var d did
	last := readyEntry{visibleAt: 10}
	cursor := readyEntry{visibleAt: 500}
	r.stop(d, 0, cursor, false, 1_000)
	if got := r.start(d, 0, last, 1_000+readOnCursorLife-1); got != cursor {
		t.Fatalf("start within the cursor's life = %+v, want the cursor %+v", got, cursor)
	}
	if got := r.start(d, 0, last, 1_000+readOnCursorLife); got != last {
		t.Fatalf("start past the cursor's life = %+v, want the first batch's last entry %+v", got, last)
	}
	if got := r.start(d, 0, last, 1_000); got != last {
		t.Fatalf("an expired cursor was kept: start = %+v", got)
	}
	r.stop(d, 0, cursor, false, 2_000)
	r.stop(d, 0, cursor, true, 2_001)
	if got := r.start(d, 0, last, 2_002); got != last {
		t.Fatalf("a walk that reached the end kept the cursor: start = %+v", got)
	}
}
