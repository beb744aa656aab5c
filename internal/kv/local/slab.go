package local

import "bytes"

// slab copies the keys and values one read returns into a few shared
// chunks instead of one allocation each: Pebble's iterators hand out
// memory they reuse once they move on, so every returned slice must be a
// copy, and a claim of ten reads ten keys and ten records. Each copy is
// capped at its own length, so appending to one cannot write into the
// next, and the chunks are small, so a caller keeping one slice keeps at
// most a chunk alive.
type slab struct{ free []byte }

const (
	slabFirstChunk = 512
	slabMaxChunk   = 8 << 10
	// slabLargest is the largest slice copied into a chunk; a larger one
	// (a big message body) gets an allocation of its own.
	slabLargest = 1 << 10
)

func (s *slab) copy(b []byte) []byte {
	if b == nil {
		return nil
	}
	if len(b) == 0 || len(b) > slabLargest {
		return bytes.Clone(b)
	}
	if len(b) > cap(s.free)-len(s.free) {
		size := slabFirstChunk
		if c := cap(s.free); c > 0 {
			size = min(2*c, slabMaxChunk)
		}
		s.free = make([]byte, 0, max(size, len(b)))
	}
	start := len(s.free)
	s.free = append(s.free, b...)
	return s.free[start:len(s.free):len(s.free)]
}
