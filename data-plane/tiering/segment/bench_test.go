package segment_test

import (
	"math/rand/v2"
	"testing"

	"github.com/sluice-mq/sluice/data-plane/tiering/segment"
)

const benchRecords = 1024

func benchPayloads(kind string) [][]byte {
	rng := rand.New(rand.NewPCG(3, 4))
	ps := make([][]byte, benchRecords)
	for i := range ps {
		if kind == "text" {
			ps[i] = compressible(rng, 1<<10)
		} else {
			ps[i] = incompressible(rng, 1<<10)
		}
	}
	return ps
}

// BenchmarkBuild measures Add of 1 KiB payloads plus Finish, per segment of
// benchRecords records.
func BenchmarkBuild(b *testing.B) {
	c := newCodec(b)
	for _, kind := range []string{"text", "random"} {
		b.Run(kind, func(b *testing.B) {
			ps := benchPayloads(kind)
			b.SetBytes(benchRecords << 10)
			b.ReportAllocs()
			for b.Loop() {
				bld := c.NewBuilder()
				for i, p := range ps {
					bld.Add(idOf(i), p)
				}
				bld.Finish()
			}
		})
	}
}

// BenchmarkDecodeFrame measures one 1 KiB payload's check and decode.
func BenchmarkDecodeFrame(b *testing.B) {
	c := newCodec(b)
	for _, kind := range []string{"text", "random"} {
		b.Run(kind, func(b *testing.B) {
			ps := benchPayloads(kind)
			bld := c.NewBuilder()
			refs := make([]segment.Ref, len(ps))
			for i, p := range ps {
				refs[i] = bld.Add(idOf(i), p)
			}
			seg := bld.Finish()
			b.SetBytes(1 << 10)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := c.DecodeFrame(idOf(i), frameOf(seg, refs[i])); err != nil {
					b.Fatal(err)
				}
				i = (i + 1) % len(refs)
			}
		})
	}
}
