package segment_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/sluice-mq/sluice/data-plane/tiering/segment"
)

// FuzzDecodeFrame feeds arbitrary frames to DecodeFrame. With fixCRC set the
// checksum is forged and the id taken from the frame, so the fuzzer reaches
// the codec check and the zstd decoder rather than stopping at the CRC.
func FuzzDecodeFrame(f *testing.F) {
	c := newCodec(f)
	seg, entries, _ := smallSegment(f, c)
	for _, e := range entries {
		f.Add(frameOf(seg, e.Ref), false)
		f.Add(frameOf(seg, e.Ref), true)
	}
	f.Add([]byte{}, true)
	f.Fuzz(func(t *testing.T, frame []byte, fixCRC bool) {
		var id [16]byte
		if fixCRC {
			frame = bytes.Clone(frame)
			fixFrameCRC(frame)
			if len(frame) >= segment.FrameOverhead {
				copy(id[:], frame[5:segment.FrameOverhead])
			}
		}
		out, err := c.DecodeFrame(id, frame)
		if err != nil {
			if !errors.Is(err, segment.ErrCorrupt) {
				t.Fatalf("DecodeFrame error does not wrap ErrCorrupt: %v", err)
			}
			return
		}
		if err := segment.VerifyFrame(id, frame); err != nil {
			t.Fatalf("DecodeFrame succeeded but VerifyFrame failed: %v", err)
		}
		if len(out) > max(segment.MaxDecodedSize, len(frame)) {
			t.Fatalf("decoded %d bytes, over the bound", len(out))
		}
		other := id
		other[0] ^= 1
		if _, err := c.DecodeFrame(other, frame); !errors.Is(err, segment.ErrCorrupt) {
			t.Fatalf("DecodeFrame with another id: err = %v, want ErrCorrupt", err)
		}
	})
}

// FuzzReadIndex feeds arbitrary segments to ReadIndex; with fixCRC set the
// index checksum is forged so the fuzzer reaches the entry parsing.
func FuzzReadIndex(f *testing.F) {
	c := newCodec(f)
	seg, _, _ := smallSegment(f, c)
	f.Add(seg, false)
	f.Add(seg, true)
	f.Add(c.NewBuilder().Finish(), true)
	f.Fuzz(func(t *testing.T, seg []byte, fixCRC bool) {
		if fixCRC {
			seg = bytes.Clone(seg)
			fixIndexCRC(seg)
		}
		entries, err := segment.ReadIndex(seg)
		if err != nil {
			if !errors.Is(err, segment.ErrCorrupt) {
				t.Fatalf("ReadIndex error does not wrap ErrCorrupt: %v", err)
			}
			return
		}
		next := int64(5)
		for i, e := range entries {
			if e.Ref.Offset != next || e.Ref.Length < segment.FrameOverhead {
				t.Fatalf("entry %d: ref %+v, want offset %d", i, e.Ref, next)
			}
			next += e.Ref.Length
		}
		if next > int64(len(seg)-segment.IndexTail()) {
			t.Fatalf("frames end at %d, past the index of a %d-byte segment", next, len(seg))
		}
		// The ranged path must agree.
		n, crc, err := segment.ParseTail(seg[len(seg)-segment.IndexTail():], int64(len(seg)))
		if err != nil {
			t.Fatalf("ReadIndex succeeded but ParseTail failed: %v", err)
		}
		end := len(seg) - segment.IndexTail()
		if _, err := segment.ParseIndex(seg[end-n:end], crc, int64(len(seg))); err != nil {
			t.Fatalf("ReadIndex succeeded but ParseIndex failed: %v", err)
		}
	})
}
