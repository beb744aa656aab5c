package segment_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/sluice-mq/sluice/data-plane/tiering/segment"
)

func TestRoundTrip(t *testing.T) {
	c := newCodec(t)
	rng := rand.New(rand.NewPCG(7, 9))
	b := c.NewBuilder()
	var want []segment.Entry
	var payloads [][]byte
	for i := range 120 {
		n := rng.IntN(300<<10 + 1)
		if i%10 == 0 {
			n = 0
		}
		var p []byte
		if i%2 == 0 {
			p = compressible(rng, n)
		} else {
			p = incompressible(rng, n)
		}
		ref := b.Add(idOf(i), p)
		want = append(want, segment.Entry{ID: idOf(i), Ref: ref})
		payloads = append(payloads, p)
		if b.Count() != i+1 || int64(b.Size()) != ref.Offset+ref.Length {
			t.Fatalf("after Add %d: Count %d Size %d, ref %+v", i, b.Count(), b.Size(), ref)
		}
	}
	seg := b.Finish()

	got, err := segment.ReadIndex(seg)
	if err != nil {
		t.Fatalf("ReadIndex: %v", err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("ReadIndex returned %d entries that differ from the %d added", len(got), len(want))
	}
	for i, e := range want {
		frame := frameOf(seg, e.Ref)
		out, err := c.DecodeFrame(e.ID, frame)
		if err != nil {
			t.Fatalf("record %d: DecodeFrame: %v", i, err)
		}
		if !bytes.Equal(out, payloads[i]) {
			t.Fatalf("record %d: payload differs (%d bytes, want %d)", i, len(out), len(payloads[i]))
		}
		raw := len(frame) == segment.FrameOverhead+len(payloads[i])
		if compressed := i%2 == 0 && len(payloads[i]) > 0; compressed == raw {
			t.Errorf("record %d (%d bytes, compressible=%v): frame is %d bytes", i, len(payloads[i]), i%2 == 0, len(frame))
		}
	}
}

func TestDecodeFrameDoesNotAlias(t *testing.T) {
	c := newCodec(t)
	seg, entries, _ := smallSegment(t, c)
	out, err := c.DecodeFrame(entries[1].ID, frameOf(seg, entries[1].Ref))
	if err != nil {
		t.Fatal(err)
	}
	clear(out)
	if _, err := c.DecodeFrame(entries[1].ID, frameOf(seg, entries[1].Ref)); err != nil {
		t.Fatalf("clearing the result changed the frame: %v", err)
	}
}

func TestPayloadSizeLimit(t *testing.T) {
	c := newCodec(t)
	for _, n := range []int{segment.MaxDecodedSize, segment.MaxDecodedSize + 1} {
		p := bytes.Repeat([]byte("sluice "), n/7+1)[:n]
		b := c.NewBuilder()
		ref := b.Add(idOf(n), p)
		seg := b.Finish()
		frame := frameOf(seg, ref)
		if compressed := len(frame) < len(p); compressed != (n <= segment.MaxDecodedSize) {
			t.Errorf("%d-byte payload: compressed=%v", n, compressed)
		}
		out, err := c.DecodeFrame(idOf(n), frame)
		if err != nil || !bytes.Equal(out, p) {
			t.Fatalf("%d-byte payload: DecodeFrame = %d bytes, %v", n, len(out), err)
		}
	}
}

func TestEmptySegment(t *testing.T) {
	seg := newCodec(t).NewBuilder().Finish()
	entries, err := segment.ReadIndex(seg)
	if err != nil || len(entries) != 0 {
		t.Fatalf("ReadIndex(empty segment) = %v, %v", entries, err)
	}
}

// TestFrameByteFlips changes every byte of every frame to every other value:
// CRC-32C catches all errors confined to 32 bits, so each must fail.
func TestFrameByteFlips(t *testing.T) {
	c := newCodec(t)
	seg, entries, _ := smallSegment(t, c)
	for i, e := range entries {
		frame := bytes.Clone(frameOf(seg, e.Ref))
		for pos := range frame {
			orig := frame[pos]
			for x := 1; x < 256; x++ {
				frame[pos] = orig ^ byte(x)
				out, err := c.DecodeFrame(e.ID, frame)
				if !errors.Is(err, segment.ErrCorrupt) {
					t.Fatalf("record %d, byte %d ^ %#x: DecodeFrame = %d bytes, %v; want ErrCorrupt", i, pos, x, len(out), err)
				}
				if err := segment.VerifyFrame(e.ID, frame); !errors.Is(err, segment.ErrCorrupt) {
					t.Fatalf("record %d, byte %d ^ %#x: VerifyFrame = %v; want ErrCorrupt", i, pos, x, err)
				}
			}
			frame[pos] = orig
		}
	}
}

func TestFrameChecks(t *testing.T) {
	c := newCodec(t)
	seg, entries, _ := smallSegment(t, c)
	frame := frameOf(seg, entries[0].Ref)
	cases := map[string]struct {
		id    [16]byte
		frame []byte
	}{
		"wrong id":        {entries[1].ID, frame},
		"truncated":       {entries[0].ID, frame[:len(frame)-1]},
		"header only":     {entries[0].ID, frame[:segment.FrameOverhead-1]},
		"empty":           {entries[0].ID, nil},
		"extended":        {entries[0].ID, append(bytes.Clone(frame), 0)},
		"neighbour frame": {entries[0].ID, frameOf(seg, entries[1].Ref)},
	}
	for name, tc := range cases {
		if _, err := c.DecodeFrame(tc.id, tc.frame); !errors.Is(err, segment.ErrCorrupt) {
			t.Errorf("%s: DecodeFrame err = %v, want ErrCorrupt", name, err)
		}
	}
}

func TestUnknownCodecRejected(t *testing.T) {
	c := newCodec(t)
	seg, entries, _ := smallSegment(t, c)
	frame := bytes.Clone(frameOf(seg, entries[1].Ref))
	frame[4] = 7
	fixFrameCRC(frame)
	if _, err := c.DecodeFrame(entries[1].ID, frame); !errors.Is(err, segment.ErrCorrupt) {
		t.Fatalf("DecodeFrame(codec 7) err = %v, want ErrCorrupt", err)
	}
}

// TestReadIndexByteFlips corrupts every byte of the header, index and tail.
func TestReadIndexByteFlips(t *testing.T) {
	c := newCodec(t)
	seg, entries, _ := smallSegment(t, c)
	last := entries[len(entries)-1].Ref
	footer := int(last.Offset + last.Length)
	positions := []int{0, 1, 2, 3, 4}
	for p := footer; p < len(seg); p++ {
		positions = append(positions, p)
	}
	bad := bytes.Clone(seg)
	for _, pos := range positions {
		for x := 1; x < 256; x++ {
			bad[pos] = seg[pos] ^ byte(x)
			if got, err := segment.ReadIndex(bad); !errors.Is(err, segment.ErrCorrupt) {
				t.Fatalf("byte %d ^ %#x: ReadIndex = %v, %v; want ErrCorrupt", pos, x, got, err)
			}
		}
		bad[pos] = seg[pos]
	}
	for n := range len(seg) {
		if _, err := segment.ReadIndex(seg[:n]); !errors.Is(err, segment.ErrCorrupt) {
			t.Fatalf("ReadIndex(first %d bytes) err = %v, want ErrCorrupt", n, err)
		}
		if _, err := segment.ReadIndex(seg[n+1:]); !errors.Is(err, segment.ErrCorrupt) {
			t.Fatalf("ReadIndex(from byte %d) err = %v, want ErrCorrupt", n+1, err)
		}
	}
}

// TestReadIndexRejectsBadLayout writes indexes with a good checksum whose
// refs do not tile the data region.
func TestReadIndexRejectsBadLayout(t *testing.T) {
	c := newCodec(t)
	seg, entries, _ := smallSegment(t, c)
	mutate := map[string]func([]segment.Entry) []segment.Entry{
		"gap":             func(e []segment.Entry) []segment.Entry { e[1].Ref.Offset++; return e },
		"overlap":         func(e []segment.Entry) []segment.Entry { e[1].Ref.Offset--; return e },
		"past data":       func(e []segment.Entry) []segment.Entry { e[2].Ref.Length++; return e },
		"short of data":   func(e []segment.Entry) []segment.Entry { return e[:2] },
		"into header":     func(e []segment.Entry) []segment.Entry { e[0].Ref.Offset = 0; return e },
		"under overhead":  func(e []segment.Entry) []segment.Entry { e[2].Ref.Length = 3; return e },
		"huge length":     func(e []segment.Entry) []segment.Entry { e[2].Ref.Length = 1 << 62; return e },
		"negative offset": func(e []segment.Entry) []segment.Entry { e[0].Ref.Offset = -1; return e },
	}
	for name, f := range mutate {
		bad := rewriteIndex(seg, entries, f(slices.Clone(entries)))
		if _, err := segment.ReadIndex(bad); !errors.Is(err, segment.ErrCorrupt) {
			t.Errorf("%s: ReadIndex err = %v, want ErrCorrupt", name, err)
		}
	}
	if _, err := segment.ReadIndex(rewriteIndex(seg, entries, entries)); err != nil {
		t.Fatalf("rewriteIndex with unchanged entries: %v", err)
	}
}

func TestRangedIndexRead(t *testing.T) {
	c := newCodec(t)
	seg, entries, _ := smallSegment(t, c)
	size := int64(len(seg))
	tail := seg[len(seg)-segment.IndexTail():]
	n, crc, err := segment.ParseTail(tail, size)
	if err != nil {
		t.Fatalf("ParseTail: %v", err)
	}
	// A larger suffix works the same.
	if n2, crc2, err := segment.ParseTail(seg[len(seg)-100:], size); err != nil || n2 != n || crc2 != crc {
		t.Fatalf("ParseTail(100-byte suffix) = %d, %#x, %v; want %d, %#x", n2, crc2, err, n, crc)
	}
	end := len(seg) - segment.IndexTail()
	got, err := segment.ParseIndex(seg[end-n:end], crc, size)
	if err != nil || !slices.Equal(got, entries) {
		t.Fatalf("ParseIndex = %v, %v; want %v", got, err, entries)
	}
	if _, _, err := segment.ParseTail(tail, int64(n+segment.IndexTail())); !errors.Is(err, segment.ErrCorrupt) {
		t.Errorf("ParseTail with a segment too small for the index: err = %v, want ErrCorrupt", err)
	}
	if _, err := segment.ParseIndex(seg[end-n:end], crc, size+1); !errors.Is(err, segment.ErrCorrupt) {
		t.Errorf("ParseIndex with the wrong segment size: err = %v, want ErrCorrupt", err)
	}
}

func TestAddFrame(t *testing.T) {
	c := newCodec(t)
	src, entries, payloads := smallSegment(t, c)
	b := c.NewBuilder()
	// Copy in reverse, as compaction might reorder.
	var refs []segment.Ref
	for i := len(entries) - 1; i >= 0; i-- {
		ref, err := b.AddFrame(entries[i].ID, frameOf(src, entries[i].Ref))
		if err != nil {
			t.Fatalf("AddFrame %d: %v", i, err)
		}
		refs = append(refs, ref)
	}
	corrupt := bytes.Clone(frameOf(src, entries[0].Ref))
	corrupt[len(corrupt)-1] ^= 1
	count, size := b.Count(), b.Size()
	if _, err := b.AddFrame(entries[0].ID, corrupt); !errors.Is(err, segment.ErrCorrupt) {
		t.Fatalf("AddFrame(corrupt) err = %v, want ErrCorrupt", err)
	}
	if _, err := b.AddFrame(entries[1].ID, frameOf(src, entries[0].Ref)); !errors.Is(err, segment.ErrCorrupt) {
		t.Fatalf("AddFrame(wrong id) err = %v, want ErrCorrupt", err)
	}
	if b.Count() != count || b.Size() != size {
		t.Fatalf("failed AddFrame changed the builder: Count %d→%d, Size %d→%d", count, b.Count(), size, b.Size())
	}
	dst := b.Finish()
	if _, err := segment.ReadIndex(dst); err != nil {
		t.Fatalf("ReadIndex: %v", err)
	}
	for k, ref := range refs {
		i := len(entries) - 1 - k
		if !bytes.Equal(frameOf(dst, ref), frameOf(src, entries[i].Ref)) {
			t.Errorf("record %d: copied frame differs", i)
		}
		if out, err := c.DecodeFrame(entries[i].ID, frameOf(dst, ref)); err != nil || !bytes.Equal(out, payloads[i]) {
			t.Errorf("record %d: DecodeFrame after copy = %q, %v", i, out, err)
		}
	}
}

func TestBuilderUnusableAfterFinish(t *testing.T) {
	b := newCodec(t).NewBuilder()
	b.Finish()
	defer func() {
		if recover() == nil {
			t.Fatal("Add after Finish did not panic")
		}
	}()
	b.Add(idOf(1), []byte("late"))
}

// TestCodecConcurrent shares one Codec between builders and decoders; run
// it with -race.
func TestCodecConcurrent(t *testing.T) {
	c := newCodec(t)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			b := c.NewBuilder()
			var ps [][]byte
			var refs []segment.Ref
			for i := range 50 {
				p := compressible(rng, rng.IntN(8<<10))
				ps = append(ps, p)
				refs = append(refs, b.Add(idOf(i), p))
			}
			seg := b.Finish()
			for i, ref := range refs {
				if out, err := c.DecodeFrame(idOf(i), frameOf(seg, ref)); err != nil || !bytes.Equal(out, ps[i]) {
					t.Errorf("goroutine %d record %d: %v", g, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
}
