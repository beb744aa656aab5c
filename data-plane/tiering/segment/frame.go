package segment

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// ErrCorrupt is wrapped by every error that reports bytes failing the
// format's integrity checks: bad checksums, ids, lengths, magic or version.
var ErrCorrupt = errors.New("segment: corrupt")

const (
	// Version is the format version this package writes and reads.
	Version = 1
	// FrameOverhead is the size of a frame without its payload: crc, codec
	// and message id.
	FrameOverhead = crcLen + 1 + idLen
	// MaxDecodedSize bounds a decompressed payload. Larger payloads are
	// stored raw, so the bound never rejects a frame this package wrote; it
	// stops corrupt input from claiming an enormous decompressed size.
	MaxDecodedSize = 4 << 20

	magic     = "SLSG"
	headerLen = len(magic) + 1
	crcLen    = 4
	idLen     = 16

	codecRaw  byte = 0
	codecZstd byte = 1
)

// castagnoli is CRC-32C, which has hardware support on amd64 and arm64.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Ref is a frame's byte range in its segment.
type Ref struct {
	Offset, Length int64
}

// Entry is one index record: which message a frame holds and where it is.
type Entry struct {
	ID  [16]byte
	Ref Ref
}

// VerifyFrame checks frame's checksum, that it holds message id and that its
// codec is one this version knows. It does not decompress the payload.
// Errors wrap ErrCorrupt.
func VerifyFrame(id [16]byte, frame []byte) error {
	_, err := checkFrame(id, frame)
	return err
}

// checkFrame verifies frame as VerifyFrame does and returns its codec.
func checkFrame(id [16]byte, frame []byte) (byte, error) {
	if len(frame) < FrameOverhead {
		return 0, fmt.Errorf("%w: %d-byte frame is shorter than the %d-byte frame header",
			ErrCorrupt, len(frame), FrameOverhead)
	}
	want := binary.BigEndian.Uint32(frame)
	if got := crc32.Checksum(frame[crcLen:], castagnoli); got != want {
		return 0, fmt.Errorf("%w: frame checksum %#08x, want %#08x", ErrCorrupt, got, want)
	}
	// Checked after the crc: with a good crc, a different id means the ref
	// points at another message's frame, not that bits flipped.
	if got := [16]byte(frame[crcLen+1 : FrameOverhead]); got != id {
		return 0, fmt.Errorf("%w: frame holds message %x, want %x", ErrCorrupt, got, id)
	}
	codec := frame[crcLen]
	if codec != codecRaw && codec != codecZstd {
		return 0, fmt.Errorf("%w: unknown frame codec %d", ErrCorrupt, codec)
	}
	return codec, nil
}

// DecodeFrame verifies frame (see VerifyFrame) and returns its payload,
// decompressed. The result never aliases frame, so frame may be a slice of
// a shared cached segment. Errors wrap ErrCorrupt.
func (c *Codec) DecodeFrame(id [16]byte, frame []byte) ([]byte, error) {
	codec, err := checkFrame(id, frame)
	if err != nil {
		return nil, err
	}
	payload := frame[FrameOverhead:]
	if codec == codecRaw {
		return append([]byte{}, payload...), nil
	}
	out, err := c.dec.DecodeAll(payload, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: decompress message %x: %w", ErrCorrupt, id, err)
	}
	if out == nil {
		out = []byte{}
	}
	return out, nil
}
