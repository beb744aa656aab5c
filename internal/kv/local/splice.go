package local

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/sluice-mq/sluice/internal/kv"
)

// spliceMergerName names the merge operator in the store's OPTIONS file
// and sstables; Pebble refuses to open a store under another name.
const spliceMergerName = "sluice.splice.v1"

// spliceMerger is Pebble's merge operator for kv.Splice: operands are
// lists of splices, applied oldest first to the value below them (a Set).
// Without that value (a compaction that sees only some operands) it
// returns the operands joined into one, still a merge operand.
var spliceMerger = &pebble.Merger{
	Name: spliceMergerName,
	Merge: func(_, value []byte) (pebble.ValueMerger, error) {
		m := &spliceMerge{}
		return m, m.MergeNewer(value)
	},
}

// spliceMerge gathers one key's operands around the first Pebble hands
// it (the newest in a forward pass, which is most of them): the older ones
// newest first, the first and newer ones oldest first. The value below
// them is applied to as soon as it comes, so it is copied once, as the
// result, not kept and copied again.
type spliceMerge struct {
	value    []byte   // the value below, with the operands before it applied
	hasValue bool     // value was seen (an empty value is a value too)
	older    [][]byte // operands older than the first, newest first
	newer    [][]byte // the first operand and newer ones, oldest first
}

func isSplice(v []byte) bool { return len(v) > 0 && v[0] == kv.SpliceMarker }

// MergeNewer adds a newer operand; a whole value newer than the operands
// so far shadows them (a reverse pass hands the value first).
func (m *spliceMerge) MergeNewer(v []byte) error {
	if isSplice(v) {
		m.newer = append(m.newer, bytes.Clone(v[1:]))
		return nil
	}
	m.value, m.hasValue, m.older, m.newer = bytes.Clone(v), true, nil, nil
	return nil
}

// MergeOlder adds an older operand, or the value they all apply to.
func (m *spliceMerge) MergeOlder(v []byte) error {
	switch {
	case m.hasValue:
		return nil // below the value: shadowed
	case isSplice(v):
		m.older = append(m.older, bytes.Clone(v[1:]))
		return nil
	}
	out, err := m.applyTo(v)
	if err != nil {
		return err
	}
	m.value, m.hasValue = out, true
	return nil
}

// applyTo applies the operands gathered so far to v, oldest first, and
// returns the result in a new slice; they are then applied.
func (m *spliceMerge) applyTo(v []byte) ([]byte, error) {
	if len(m.older)+len(m.newer) == 0 {
		return bytes.Clone(v), nil
	}
	out := v
	var err error
	for i := len(m.older) - 1; i >= 0 && err == nil; i-- {
		out, err = kv.ApplySplices(out, m.older[i])
	}
	for i := 0; i < len(m.newer) && err == nil; i++ {
		out, err = kv.ApplySplices(out, m.newer[i])
	}
	m.older, m.newer = nil, nil
	return out, err
}

func (m *spliceMerge) Finish(bool) ([]byte, io.Closer, error) {
	if m.hasValue {
		if len(m.older)+len(m.newer) == 0 {
			return m.value, nil, nil
		}
		out, err := m.applyTo(m.value)
		return out, nil, err
	}
	// No value below: the operands joined into one, oldest first.
	out := []byte{kv.SpliceMarker}
	for i := len(m.older) - 1; i >= 0; i-- {
		out = append(out, m.older[i]...)
	}
	for _, op := range m.newer {
		out = append(out, op...)
	}
	return out, nil, nil
}

// storeMerger is the merge operator to open the store in dir with: the
// splice operator for a new store or one made with it, Pebble's default
// for one made before it (whose OPTIONS file names that; Pebble refuses
// to open a store under another operator's name). Such a store works as
// before, without kv.Splicer.
func storeMerger(fs vfs.FS, dir string) (*pebble.Merger, error) {
	desc, err := pebble.Peek(dir, fs)
	if errors.Is(err, os.ErrNotExist) {
		return spliceMerger, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look at the store: %w", err)
	}
	if !desc.Exists || desc.OptionsFilename == "" {
		return spliceMerger, nil
	}
	name, err := optionsMerger(fs, desc.OptionsFilename)
	if err != nil {
		return nil, err
	}
	if name == pebble.DefaultMerger.Name {
		return pebble.DefaultMerger, nil
	}
	return spliceMerger, nil // ours, or one Pebble will refuse by name
}

// optionsMerger reads the merge operator's name from a Pebble OPTIONS
// file ("merger=NAME" in its [Options] section).
func optionsMerger(fs vfs.FS, path string) (string, error) {
	f, err := fs.Open(path)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	for line := range strings.Lines(string(data)) {
		if name, ok := strings.CutPrefix(strings.TrimSpace(line), "merger="); ok {
			return name, nil
		}
	}
	return "", fmt.Errorf("%s names no merge operator", path)
}

// newTxn is a transaction on batch; it splices when the store's merge
// operator is the splice operator.
func (s *Store) newTxn(batch *pebble.Batch) (*txn, kv.Txn) {
	t := &txn{reader: reader{r: batch}, batch: batch}
	if s.merger == spliceMerger {
		return t, splicingTxn{t}
	}
	return t, t
}

// splicingTxn is a txn on a store whose merge operator is spliceMerger.
type splicingTxn struct{ *txn }

var _ kv.Splicer = splicingTxn{}

// Splice writes a merge operand that the splice operator applies to the
// value below it (kv.Splicer).
func (t splicingTxn) Splice(key []byte, at, remove int, insert []byte) error {
	if len(key) == 0 {
		return kv.ErrEmptyKey
	}
	if at < 0 || remove < 0 {
		return fmt.Errorf("splice %q: negative offset or length", key)
	}
	op := make([]byte, 1, 1+3*binary.MaxVarintLen64+len(insert)) // one allocation
	op[0] = kv.SpliceMarker
	op = kv.AppendSplice(op, at, remove, insert)
	return t.batch.Merge(key, op, nil)
}
