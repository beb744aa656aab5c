package kv

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// Splicer is a Txn that can change part of a value without writing all of
// it: Splice replaces the remove bytes at offset at of key's current value
// with insert. The store keeps the splice as a small merge operand and
// applies it to the value on every read until a flush or compaction folds
// it in, so rewriting a few bytes of a large value costs a few bytes of
// log. The caller must have read the current value in the same
// transaction (it is what at and remove refer to), and values that are
// ever spliced must not begin with SpliceMarker.
type Splicer interface {
	Txn
	Splice(key []byte, at, remove int, insert []byte) error
}

// SpliceMarker begins every splice operand, which is how a merge tells
// operands from the value they apply to.
const SpliceMarker byte = 0xff

// AppendSplice appends one splice to an operand (begun with SpliceMarker).
func AppendSplice(op []byte, at, remove int, insert []byte) []byte {
	op = binary.AppendUvarint(op, uint64(at))
	op = binary.AppendUvarint(op, uint64(remove))
	op = binary.AppendUvarint(op, uint64(len(insert)))
	return append(op, insert...)
}

// ErrBadSplice is a splice operand that is malformed or falls outside the
// value it applies to.
var ErrBadSplice = errors.New("kv: bad splice operand")

// ApplySplices applies the splices of operand (without its marker) to
// value, in order, and returns the result in a new slice.
func ApplySplices(value, operand []byte) ([]byte, error) {
	if len(operand) == 0 {
		return bytes.Clone(value), nil
	}
	out := value
	for len(operand) > 0 {
		var f [3]uint64
		for i := range f {
			v, n := binary.Uvarint(operand)
			if n <= 0 {
				return nil, ErrBadSplice
			}
			f[i], operand = v, operand[n:]
		}
		at, remove, n := f[0], f[1], f[2]
		if n > uint64(len(operand)) || at > uint64(len(out)) || remove > uint64(len(out))-at {
			return nil, fmt.Errorf("%w: [%d:+%d] of %d bytes", ErrBadSplice, at, remove, len(out))
		}
		next := make([]byte, 0, uint64(len(out))-remove+n)
		next = append(next, out[:at]...)
		next = append(next, operand[:n]...)
		next = append(next, out[at+remove:]...)
		out, operand = next, operand[n:]
	}
	return out, nil
}
