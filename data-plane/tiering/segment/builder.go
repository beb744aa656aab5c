package segment

import (
	"encoding/binary"
	"hash/crc32"
)

// Builder assembles one segment in memory. It is not safe for concurrent
// use; the Codec it came from is, so builders on several goroutines may
// share one.
type Builder struct {
	codec *Codec
	buf   []byte
	index []Entry
	done  bool
}

// NewBuilder starts an empty segment.
func (c *Codec) NewBuilder() *Builder {
	buf := make([]byte, 0, 4<<10)
	buf = append(buf, magic...)
	buf = append(buf, Version)
	return &Builder{codec: c, buf: buf}
}

// Add appends a frame holding payload for message id and returns its place
// in the segment. The payload is zstd-compressed when that makes it smaller
// and it is at most MaxDecodedSize bytes.
func (b *Builder) Add(id [16]byte, payload []byte) Ref {
	b.mustBeOpen()
	start := len(b.buf)
	b.buf = append(b.buf, 0, 0, 0, 0, codecRaw) // crc is filled in below
	b.buf = append(b.buf, id[:]...)
	body := len(b.buf)
	if len(payload) > 0 && len(payload) <= MaxDecodedSize {
		// Compress straight into the segment, and back out if it did not
		// pay off: that avoids a scratch buffer per record.
		b.buf = b.codec.enc.EncodeAll(payload, b.buf)
		if len(b.buf)-body < len(payload) {
			b.buf[start+crcLen] = codecZstd
		} else {
			b.buf = b.buf[:body]
		}
	}
	if b.buf[start+crcLen] == codecRaw {
		b.buf = append(b.buf, payload...)
	}
	binary.BigEndian.PutUint32(b.buf[start:], crc32.Checksum(b.buf[start+crcLen:], castagnoli))
	return b.record(id, start)
}

// AddFrame appends frame, a frame read from another segment, verbatim after
// checking it (see VerifyFrame); compaction uses it to move live records
// without decompressing and recompressing them. On error, which wraps
// ErrCorrupt, the builder is unchanged.
func (b *Builder) AddFrame(id [16]byte, frame []byte) (Ref, error) {
	b.mustBeOpen()
	if err := VerifyFrame(id, frame); err != nil {
		return Ref{}, err
	}
	start := len(b.buf)
	b.buf = append(b.buf, frame...)
	return b.record(id, start), nil
}

func (b *Builder) record(id [16]byte, start int) Ref {
	ref := Ref{Offset: int64(start), Length: int64(len(b.buf) - start)}
	b.index = append(b.index, Entry{ID: id, Ref: ref})
	return ref
}

// Count returns the number of frames added.
func (b *Builder) Count() int { return len(b.index) }

// Size returns the segment's size so far, header included and index not;
// callers use it to decide when a segment is big enough to finish.
func (b *Builder) Size() int { return len(b.buf) }

// Finish appends the index and tail and returns the whole segment. The
// builder is done: further Add, AddFrame or Finish calls panic.
func (b *Builder) Finish() []byte {
	b.mustBeOpen()
	b.done = true
	indexStart := len(b.buf)
	for _, e := range b.index {
		b.buf = append(b.buf, e.ID[:]...)
		b.buf = binary.AppendUvarint(b.buf, uint64(e.Ref.Offset))
		b.buf = binary.AppendUvarint(b.buf, uint64(e.Ref.Length))
	}
	index := b.buf[indexStart:]
	if uint64(len(index)) > 1<<32-1 {
		// Some 150 million records; no caller builds segments this big.
		panic("segment: index exceeds 4 GiB")
	}
	b.buf = binary.BigEndian.AppendUint32(b.buf, uint32(len(index)))
	b.buf = binary.BigEndian.AppendUint32(b.buf, crc32.Checksum(index, castagnoli))
	b.buf = append(b.buf, Version)
	b.buf = append(b.buf, magic...)
	seg := b.buf
	b.buf, b.index = nil, nil
	return seg
}

func (b *Builder) mustBeOpen() {
	if b.done {
		panic("segment: Builder used after Finish")
	}
}
