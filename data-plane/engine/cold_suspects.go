package engine

import (
	"sync"
	"time"
)

// suspectSegments remembers, for the backoff, the segments whose last read
// failed on the segment's own account: a frame that failed its check, or an
// object the blob store does not have. The blob store as a whole stays up
// (other segments are read as usual), and the receives meanwhile do not
// spend a request, and their cold-read budget, on each of the segment's
// messages: a corrupt segment stays in the reader's cache, so its good
// frames are served and its bad ones fail at once; a missing one fails at
// once. A segment too large to cache is read by range, frame by frame, so
// its frames that failed are remembered instead and fail at once without a
// request. Once the backoff has passed, the next read forgets the cached
// copy and the bad frames and fetches the object again, so a restored
// object is delivered within the backoff.
type suspectSegments struct {
	mu     sync.Mutex
	since  map[string]suspect
	frames int // bad frame offsets held, over all suspects
}

type suspect struct {
	at      time.Time
	missing error // the not-found error, for a missing object; nil for corrupt
	// bad holds the offsets of a corrupt segment's frames that failed
	// their check.
	bad map[int64]bool
}

const (
	// maxSuspects bounds the memory; past it entries are dropped, which
	// at worst costs a read each.
	maxSuspects = 1024
	// maxBadFrames bounds the bad frames remembered over all segments; a
	// frame past it costs a read each.
	maxBadFrames = 1 << 16
	// noFrame notes a segment corrupt as a whole (its index), no frame in
	// particular.
	noFrame = -1
)

// corrupt notes that the frame at offset of the segment under key failed
// its check. The first note stands until the backoff has passed, so a
// segment read over and over is still fetched again once per backoff; it
// reports whether this note is the first, for logging.
func (s *suspectSegments) corrupt(key string, offset int64, now time.Time) (first bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.since[key]; ok && now.Sub(old.at) < backoff {
		s.addBadLocked(old, offset)
		return false
	}
	sus := suspect{at: now, bad: map[int64]bool{}}
	s.noteLocked(key, sus)
	s.addBadLocked(sus, offset)
	return true
}

func (s *suspectSegments) addBadLocked(sus suspect, offset int64) {
	if sus.bad != nil && !sus.bad[offset] && s.frames < maxBadFrames {
		sus.bad[offset] = true
		s.frames++
	}
}

// missing notes that the segment's object was not found (err).
func (s *suspectSegments) missing(key string, err error, now time.Time) (first bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.since[key]; ok && now.Sub(old.at) < backoff {
		return false
	}
	s.noteLocked(key, suspect{at: now, missing: err})
	return true
}

func (s *suspectSegments) noteLocked(key string, sus suspect) {
	if s.since == nil {
		s.since = map[string]suspect{}
	}
	s.forgetLocked(key)
	if len(s.since) >= maxSuspects {
		s.prune(sus.at)
	}
	s.since[key] = sus
}

func (s *suspectSegments) forgetLocked(key string) {
	s.frames -= len(s.since[key].bad)
	delete(s.since, key)
}

// prune drops the entries past their backoff and, if that is not
// enough, any others until there is room.
func (s *suspectSegments) prune(now time.Time) {
	for k, v := range s.since {
		if now.Sub(v.at) >= backoff || len(s.since) >= maxSuspects {
			s.forgetLocked(k)
		}
	}
}

// check reports what a read of the frame at offset of the segment under
// key should do now: fail at once with the missing object's error
// (missing != nil), fail at once as a frame that failed its check within
// the backoff (bad), or, for a suspect whose backoff has passed, forget
// the cached copy first and read it again (reread).
func (s *suspectSegments) check(key string, offset int64, now time.Time) (bad, reread bool, missing error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sus, ok := s.since[key]
	if !ok {
		return false, false, nil
	}
	if now.Sub(sus.at) >= backoff {
		s.forgetLocked(key)
		return false, true, nil
	}
	return sus.bad[offset], false, sus.missing
}
