package segment_test

import (
	"encoding/binary"
	"hash/crc32"

	"github.com/sluice-mq/sluice/data-plane/tiering/segment"
)

// These helpers forge valid checksums, so tests and fuzz targets can reach
// the checks that lie behind them.

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// fixFrameCRC rewrites frame's checksum to match its contents.
func fixFrameCRC(frame []byte) {
	if len(frame) >= 4 {
		binary.BigEndian.PutUint32(frame, crc32.Checksum(frame[4:], castagnoli))
	}
}

// fixIndexCRC rewrites the index checksum of seg to match the bytes its
// tail claims are the index, if the claim fits in seg.
func fixIndexCRC(seg []byte) {
	tail := segment.IndexTail()
	if len(seg) < tail {
		return
	}
	t := seg[len(seg)-tail:]
	n := int(binary.BigEndian.Uint32(t))
	if n < 0 || n > len(seg)-tail {
		return
	}
	binary.BigEndian.PutUint32(t[4:], crc32.Checksum(seg[len(seg)-tail-n:len(seg)-tail], castagnoli))
}

// rewriteIndex replaces the index of seg, whose frames are entries, with
// one listing refs, and gives it a valid checksum.
func rewriteIndex(seg []byte, entries, refs []segment.Entry) []byte {
	last := entries[len(entries)-1].Ref
	out := append([]byte{}, seg[:last.Offset+last.Length]...)
	start := len(out)
	for _, e := range refs {
		out = append(out, e.ID[:]...)
		out = binary.AppendUvarint(out, uint64(e.Ref.Offset))
		out = binary.AppendUvarint(out, uint64(e.Ref.Length))
	}
	index := out[start:]
	out = binary.BigEndian.AppendUint32(out, uint32(len(index)))
	out = binary.BigEndian.AppendUint32(out, crc32.Checksum(index, castagnoli))
	out = append(out, segment.Version)
	return append(out, "SLSG"...)
}
