package load

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"time"
)

// A body is a fixed header — run id, sequence id and send time, in hex —
// padded with dots to the message size. Hex keeps it inside SQS's allowed
// characters and parsing cheap.
const (
	runIDHexLen    = 8
	seqHexLen      = 16
	sentAtHexLen   = 16
	headerLen      = runIDHexLen + seqHexLen + sentAtHexLen
	MinMessageSize = headerLen // smallest body that carries the header
)

// bodyHeader is what a consumer learns from a body.
type bodyHeader struct {
	runID  uint32
	seq    uint64
	sentAt time.Time
}

// bodyWriter builds bodies of one size, reusing the padding.
type bodyWriter struct {
	runID   uint32
	padding string
}

func newBodyWriter(runID uint32, size int) bodyWriter {
	return bodyWriter{runID: runID, padding: strings.Repeat(".", size-headerLen)}
}

// body returns the body of message seq sent at sentAt.
func (w bodyWriter) body(seq uint64, sentAt time.Time) string {
	var raw [headerLen / 2]byte
	binary.BigEndian.PutUint32(raw[0:4], w.runID)
	binary.BigEndian.PutUint64(raw[4:12], seq)
	binary.BigEndian.PutUint64(raw[12:20], uint64(sentAt.UnixNano()))
	var b strings.Builder
	b.Grow(headerLen + len(w.padding))
	var hexed [headerLen]byte
	hex.Encode(hexed[:], raw[:])
	b.Write(hexed[:])
	b.WriteString(w.padding)
	return b.String()
}

var errForeignBody = errors.New("body has no sluice-bench header")

// parseBody reads the header of a body built by bodyWriter.
func parseBody(body string) (bodyHeader, error) {
	if len(body) < headerLen {
		return bodyHeader{}, errForeignBody
	}
	var raw [headerLen / 2]byte
	if _, err := hex.Decode(raw[:], []byte(body[:headerLen])); err != nil {
		return bodyHeader{}, errForeignBody
	}
	return bodyHeader{
		runID:  binary.BigEndian.Uint32(raw[0:4]),
		seq:    binary.BigEndian.Uint64(raw[4:12]),
		sentAt: time.Unix(0, int64(binary.BigEndian.Uint64(raw[12:20]))),
	}, nil
}
