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
		{"b", 0, 0, false}, {"c", 0, 0, false},
	} {
		if bad, _, _ := s.check(c.key, c.offset, t0.Add(c.at)); bad != c.bad {
			t.Errorf("check(%s, %d) %s after the note: bad %v, want %v", c.key, c.offset, c.at, bad, c.bad)
		}
	}
	if _, reread, missing := s.check("a", noFrame, t0.Add(backoff-time.Millisecond)); missing != nil || reread {
		t.Fatalf("corrupt within the backoff: missing %v, reread %v; want the cached copy used", missing, reread)
	}
	if _, _, missing := s.check("b", noFrame, t0.Add(time.Second)); !errors.Is(missing, notFound) {
		t.Fatalf("missing within the backoff: %v; want its error", missing)
	}
	if bad, reread, _ := s.check("a", 0, t0.Add(backoff)); bad || !reread {
		t.Fatal("corrupt past the backoff: want it read again, its bad frames forgotten")
	}
	if _, reread, _ := s.check("a", noFrame, t0.Add(backoff)); reread {
		t.Fatal("want one reread per note")
	}
	if _, reread, missing := s.check("b", noFrame, t0.Add(backoff)); missing != nil || !reread {
		t.Fatalf("missing past the backoff: missing %v, reread %v; want it read again", missing, reread)
	}
	if _, reread, missing := s.check("c", noFrame, t0); missing != nil || reread {
		t.Fatal("a segment never noted is read as usual")
	}
	for i := range 3 * maxSuspects {
		s.corrupt(fmt.Sprint(i), 0, t0.Add(time.Duration(i)*time.Millisecond))
	}
	if n := len(s.since); n > maxSuspects {
		t.Fatalf("%d suspects kept; want at most %d", n, maxSuspects)
	}
	for seg := range 4 {
		for i := range maxBadFrames {
			s.corrupt(fmt.Sprint("big", seg), int64(i), t0.Add(3*backoff))
		}
	}
	held := 0
	for _, sus := range s.since {
		held += len(sus.bad)
	}
	if held > maxBadFrames || held != s.frames {
		t.Fatalf("%d bad frames held (counted %d); want at most %d, and counted right", held, s.frames, maxBadFrames)
	}
	for k := range s.since {
		s.check(k, noFrame, t0.Add(10*backoff)) // past the backoff: forgotten
	}
	if s.frames != 0 {
		t.Fatalf("%d bad frames counted after every suspect was forgotten", s.frames)
	}
}
