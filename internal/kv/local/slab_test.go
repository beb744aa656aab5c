package local

import (
	"bytes"
	"testing"
)

// Copies are equal to their sources, independent of them and of each
// other, and nil stays nil (getMany's missing key).
func TestSlabCopies(t *testing.T) {
	var s slab
	if s.copy(nil) != nil {
		t.Fatal("copy(nil) is not nil")
	}
	if c := s.copy([]byte{}); c == nil || len(c) != 0 {
		t.Fatalf("copy of an empty slice = %#v, want empty, not nil", c)
	}
	var srcs, copies [][]byte
	for i := range 200 {
		n := 1 + i*13%(2*slabLargest) // past slabLargest too, and across chunks
		src := bytes.Repeat([]byte{byte(i)}, n)
		srcs = append(srcs, src)
		copies = append(copies, s.copy(src))
	}
	for i := range srcs {
		srcs[i][0]++ // the source changes, as Pebble's memory does
	}
	for i, c := range copies {
		_ = append(c, 0xff) // must not write into the next copy
		if want := bytes.Repeat([]byte{byte(i)}, len(srcs[i])); !bytes.Equal(c, want) {
			t.Fatalf("copy %d changed: %v", i, c[:min(8, len(c))])
		}
	}
}
