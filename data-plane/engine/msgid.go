package engine

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
	"time"

	"github.com/google/uuid"
)

// idSource hands out message ids that sort in the order this node made
// them: version-7 UUIDs (RFC 9562) whose 48-bit millisecond time is
// followed by a 12-bit counter (method 1, "fixed-length dedicated counter
// bits") and 62 random bits. The visibility index breaks ties between
// entries of one millisecond by id, so fresh sends through one node come
// out in the order they were made, even within a millisecond.
type idSource struct {
	clock func() time.Time
	mu    sync.Mutex
	ms    int64  // time in the last id; never goes back
	seq   uint16 // counter within ms, below 1<<12
}

const idSeqLimit = 1 << 12

func newIDSource(clock func() time.Time) *idSource { return &idSource{clock: clock} }

// next returns an id above every id this source returned before. A clock
// that steps back, or more than 4,096 ids in one millisecond, carries on
// from the last id's time, so order holds either way.
func (s *idSource) next() msgID {
	now := s.clock().UnixMilli()
	s.mu.Lock()
	switch {
	case now > s.ms:
		s.ms, s.seq = now, 0
	case s.seq+1 < idSeqLimit:
		s.seq++
	default:
		s.ms, s.seq = s.ms+1, 0
	}
	ms, seq := s.ms, s.seq
	s.mu.Unlock()

	var id msgID
	_, _ = rand.Read(id[8:])
	var t [8]byte
	binary.BigEndian.PutUint64(t[:], uint64(ms))
	copy(id[:6], t[2:])
	id[6] = 0x70 | byte(seq>>8)
	id[7] = byte(seq)
	id[8] = id[8]&0x3f | 0x80
	return id
}

// formatMessageID writes id as a UUID (8-4-4-4-12 lowercase hex digits).
func formatMessageID(id msgID) string { return uuid.UUID(id).String() }
