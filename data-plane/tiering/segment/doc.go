// Package segment defines the binary format of the segment objects the cold
// tier packs old message bodies into, and the code that writes and reads it.
//
// A segment is written once, uploaded to the object store and then only read
// by byte range: the KV store keeps, per cold message, a Ref to that
// message's record frame, so fetching one message costs one ranged GET and
// needs neither the rest of the segment nor its index. The index at the tail
// exists for compaction and garbage collection, which walk whole segments.
//
// # Format, version 1
//
// All fixed-width integers are big-endian; "uvarint" is encoding/binary's
// unsigned varint. Checksums are CRC-32C (Castagnoli).
//
//	segment = header frame* index tail
//	header  = "SLSG" version(1 byte, = 1)
//	frame   = crc(4) codec(1) id(16) payload
//	index   = { id(16) offset(uvarint) length(uvarint) } per frame, in order
//	tail    = indexLen(4) indexCRC(4) version(1) "SLSG"
//
// A frame's crc covers everything after it in the frame (codec, id and
// payload), so a frame is self-checking: a reader that ranged-read just the
// frame can tell corruption (or a stale ref pointing at the wrong bytes,
// which the id catches) from a good record without the rest of the segment.
// codec is 0 when the payload is stored raw and 1 when it is a zstd frame;
// the writer compresses only when that makes the payload smaller and only
// payloads of at most MaxDecodedSize bytes, the most a reader will
// decompress, so corrupt or hostile input cannot make it allocate without
// bound.
//
// The index lists every frame as its message id and the byte range
// [offset, offset+length) of the whole frame. Frames are contiguous: the
// first starts right after the header, each starts where the previous one
// ends and the last ends where the index begins; readers reject any other
// layout. indexCRC covers the index bytes. The tail has a fixed size
// (IndexTail bytes) so a reader that only knows the object's size can fetch
// the tail, learn the index's length, then fetch the index (ParseTail,
// ParseIndex); a reader holding the whole object calls ReadIndex.
//
// The version byte appears at both ends so a reader starting from either
// end rejects a format it does not know. A new version may change anything
// after the header and before the tail.
package segment
