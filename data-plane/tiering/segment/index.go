package segment

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
)

// tailLen is the fixed size of the tail: indexLen, indexCRC, version, magic.
const tailLen = 4 + crcLen + 1 + len(magic)

// minEntryLen is the smallest index entry: an id and two one-byte uvarints.
const minEntryLen = idLen + 2

// IndexTail returns the number of bytes at the end of a segment that hold
// the index's length and checksum; a reader fetches these first.
func IndexTail() int { return tailLen }

// ReadIndex returns the index of seg, a whole segment. It checks the
// header, the tail, the index checksum and that the frames tile the data
// region exactly; it does not check the frames themselves. Errors wrap
// ErrCorrupt.
func ReadIndex(seg []byte) ([]Entry, error) {
	if len(seg) < headerLen+tailLen {
		return nil, fmt.Errorf("%w: %d-byte segment is shorter than header and tail", ErrCorrupt, len(seg))
	}
	if string(seg[:len(magic)]) != magic {
		return nil, fmt.Errorf("%w: bad header magic %q", ErrCorrupt, seg[:len(magic)])
	}
	if v := seg[len(magic)]; v != Version {
		return nil, fmt.Errorf("%w: unsupported header format version %d", ErrCorrupt, v)
	}
	size := int64(len(seg))
	indexLen, indexCRC, err := ParseTail(seg, size)
	if err != nil {
		return nil, err
	}
	end := len(seg) - tailLen
	return ParseIndex(seg[end-indexLen:end], indexCRC, size)
}

// ParseTail parses the tail of a segment of segSize bytes and returns the
// index's length and checksum, for ParseIndex. tail must be at least
// IndexTail() bytes and end where the segment ends; only its last
// IndexTail() bytes are read, so a reader may fetch a larger suffix in the
// hope that it holds the index too. The index occupies the indexLen bytes
// before the tail. Errors wrap ErrCorrupt.
func ParseTail(tail []byte, segSize int64) (indexLen int, indexCRC uint32, err error) {
	if len(tail) < tailLen {
		return 0, 0, fmt.Errorf("%w: %d-byte tail, want %d", ErrCorrupt, len(tail), tailLen)
	}
	t := tail[len(tail)-tailLen:]
	if string(t[9:]) != magic {
		return 0, 0, fmt.Errorf("%w: bad tail magic %q", ErrCorrupt, t[9:])
	}
	if v := t[8]; v != Version {
		return 0, 0, fmt.Errorf("%w: unsupported tail format version %d", ErrCorrupt, v)
	}
	n := int64(binary.BigEndian.Uint32(t))
	if room := segSize - int64(headerLen+tailLen); n > room {
		return 0, 0, fmt.Errorf("%w: %d-byte index does not fit in a %d-byte segment", ErrCorrupt, n, segSize)
	}
	if n > math.MaxInt {
		return 0, 0, fmt.Errorf("%w: %d-byte index is too large for this platform", ErrCorrupt, n)
	}
	return int(n), binary.BigEndian.Uint32(t[4:]), nil
}

// ParseIndex decodes index, the index bytes of a segment of segSize bytes,
// which ParseTail located and described with indexCRC. It checks the
// checksum and that the frames tile the segment's data region exactly.
// Errors wrap ErrCorrupt.
func ParseIndex(index []byte, indexCRC uint32, segSize int64) ([]Entry, error) {
	if got := crc32.Checksum(index, castagnoli); got != indexCRC {
		return nil, fmt.Errorf("%w: index checksum %#08x, want %#08x", ErrCorrupt, got, indexCRC)
	}
	dataEnd := segSize - int64(tailLen+len(index))
	if dataEnd < int64(headerLen) {
		return nil, fmt.Errorf("%w: %d-byte index does not fit in a %d-byte segment", ErrCorrupt, len(index), segSize)
	}
	entries := make([]Entry, 0, len(index)/minEntryLen)
	next := int64(headerLen) // where the next frame must start
	for p := 0; p < len(index); {
		if len(index)-p < minEntryLen {
			return nil, fmt.Errorf("%w: index entry %d truncated", ErrCorrupt, len(entries))
		}
		var e Entry
		e.ID = [16]byte(index[p : p+idLen])
		p += idLen
		off, n := binary.Uvarint(index[p:])
		if n <= 0 {
			return nil, fmt.Errorf("%w: index entry %d: bad offset varint", ErrCorrupt, len(entries))
		}
		p += n
		length, n := binary.Uvarint(index[p:])
		if n <= 0 {
			return nil, fmt.Errorf("%w: index entry %d: bad length varint", ErrCorrupt, len(entries))
		}
		p += n
		// Comparing as uint64 before converting keeps huge values from
		// turning negative.
		if off != uint64(next) {
			return nil, fmt.Errorf("%w: index entry %d starts at %d, want %d", ErrCorrupt, len(entries), off, next)
		}
		if length < FrameOverhead || length > uint64(dataEnd-next) {
			return nil, fmt.Errorf("%w: index entry %d: frame [%d, +%d) does not fit in data region [%d, %d)",
				ErrCorrupt, len(entries), off, length, headerLen, dataEnd)
		}
		e.Ref = Ref{Offset: next, Length: int64(length)}
		next += int64(length)
		entries = append(entries, e)
	}
	if next != dataEnd {
		return nil, fmt.Errorf("%w: frames end at %d but the index starts at %d", ErrCorrupt, next, dataEnd)
	}
	return entries, nil
}
