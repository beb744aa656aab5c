package segment_test

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/sluice-mq/sluice/data-plane/tiering/segment"
)

func newCodec(tb testing.TB) *segment.Codec {
	tb.Helper()
	c, err := segment.NewCodec()
	if err != nil {
		tb.Fatalf("NewCodec: %v", err)
	}
	tb.Cleanup(c.Close)
	return c
}

func idOf(n int) [16]byte {
	var id [16]byte
	for i := range id {
		id[i] = byte(n >> (8 * (i % 4)))
	}
	id[15] = 0xA5
	return id
}

// compressible returns n bytes of repetitive text, like a JSON body.
func compressible(rng *rand.Rand, n int) []byte {
	words := []string{`{"order":`, `"status":"shipped",`, `"items":[`, `"sku":"A-1029",`, `"qty":3}`, ` `}
	var b bytes.Buffer
	for b.Len() < n {
		b.WriteString(words[rng.IntN(len(words))])
	}
	return b.Bytes()[:n]
}

func incompressible(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func frameOf(seg []byte, ref segment.Ref) []byte {
	return seg[ref.Offset : ref.Offset+ref.Length]
}

// smallSegment holds one compressed, one raw and one empty record.
func smallSegment(tb testing.TB, c *segment.Codec) ([]byte, []segment.Entry, [][]byte) {
	tb.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	payloads := [][]byte{compressible(rng, 200), incompressible(rng, 40), {}}
	b := c.NewBuilder()
	var entries []segment.Entry
	for i, p := range payloads {
		entries = append(entries, segment.Entry{ID: idOf(i), Ref: b.Add(idOf(i), p)})
	}
	return b.Finish(), entries, payloads
}
