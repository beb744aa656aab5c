package engine

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestSuspectSegments(t *testing.T) {
	var s suspectSegments
	t0 := time.Unix(1000, 0)
	notFound := errors.New("not found")
	if !s.corrupt("a", 0, t0) || s.corrupt("a", 100, t0.Add(time.Second)) {
		t.Fatal("want only the first corrupt note within the backoff to count as first")
	}
	s.missing("b", notFound, t0)
	for _, c := range []struct {
		key    string
		offset int64
		at     time.Duration
		bad    bool
	}{
		{"a", 0, 0, true}, {"a", 100, backoff - time.Millisecond, true}, {"a", 50, 0, false},
		{"a", 0, backoff, false}, {"b", 0, 0, false}, {"c", 0, 0, false},
	} {
		if got := s.badFrame(c.key, c.offset, t0.Add(c.at)); got != c.bad {
			t.Errorf("badFrame(%s, %d) %s after the note: %v, want %v", c.key, c.offset, c.at, got, c.bad)
		}
	}
	if missing, reread := s.check("a", t0.Add(backoff-time.Millisecond)); missing != nil || reread {
		t.Fatalf("corrupt within the backoff: missing %v, reread %v; want the cached copy used", missing, reread)
	}
	if missing, _ := s.check("b", t0.Add(time.Second)); !errors.Is(missing, notFound) {
		t.Fatalf("missing within the backoff: %v; want its error", missing)
	}
	if _, reread := s.check("a", t0.Add(backoff)); !reread {
		t.Fatal("corrupt past the backoff: want it read again")
	}
	if _, reread := s.check("a", t0.Add(backoff)); reread {
		t.Fatal("want one reread per note")
	}
	if missing, reread := s.check("b", t0.Add(backoff)); missing != nil || !reread {
		t.Fatalf("missing past the backoff: missing %v, reread %v; want it read again", missing, reread)
	}
	if missing, reread := s.check("c", t0); missing != nil || reread {
		t.Fatal("a segment never noted is read as usual")
	}
	for i := range 3 * maxSuspects {
		s.corrupt(fmt.Sprint(i), 0, t0.Add(time.Duration(i)*time.Millisecond))
	}
	if n := len(s.since); n > maxSuspects {
		t.Fatalf("%d suspects kept; want at most %d", n, maxSuspects)
	}
	for i := range 2 * maxBadFrames {
		s.corrupt("big", int64(i), t0.Add(3*backoff))
	}
	if n := len(s.since["big"].bad); n != maxBadFrames {
		t.Fatalf("%d bad frames kept; want %d", n, maxBadFrames)
	}
}
