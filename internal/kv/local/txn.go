package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/cockroachdb/pebble/v2"

	"github.com/sluice-mq/sluice/internal/kv"
)

// pebbleReader is what both a snapshot and an indexed batch offer.
type pebbleReader interface {
	Get(key []byte) ([]byte, io.Closer, error)
	NewIter(o *pebble.IterOptions) (*pebble.Iterator, error)
}

type reader struct{ r pebbleReader }

func (r reader) Get(ctx context.Context, key []byte) ([]byte, error) {
	if len(key) == 0 {
		return nil, kv.ErrEmptyKey
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	v, closer, err := r.r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, fmt.Errorf("get %q: %w", key, kv.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("local kv: get %q: %w", key, err)
	}
	defer closer.Close()
	return bytes.Clone(v), nil
}

func (r reader) BatchGet(ctx context.Context, keys [][]byte) (map[string][]byte, error) {
	vals, err := r.getMany(ctx, keys, &slab{})
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(keys))
	for i, v := range vals {
		if v != nil {
			out[string(keys[i])] = v
		}
	}
	return out, nil
}

// getMany reads keys with one iterator, in key order, and returns their
// values in the order given, nil for a missing key. A point read (Get)
// builds a fresh iterator over the batch, every memtable and every
// sstable level it reaches; for the 10 records of a claim or a delete,
// one iterator and ordered seeks cost less (internal/kv's BenchmarkClaim:
// about a sixth of a claim transaction's CPU). It copies the values into
// copies, before the iterator moves on.
func (r reader) getMany(ctx context.Context, keys [][]byte, copies *slab) (vals [][]byte, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, nil
	}
	order := make([]int, len(keys))
	for i, k := range keys {
		if len(k) == 0 {
			return nil, kv.ErrEmptyKey
		}
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return bytes.Compare(keys[a], keys[b]) })
	lo, hi := keys[order[0]], keys[order[len(order)-1]]
	// The upper bound is exclusive: the smallest key after hi.
	it, err := r.r.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: append(bytes.Clone(hi), 0)})
	if err != nil {
		return nil, fmt.Errorf("local kv: get: %w", err)
	}
	defer func() {
		if cerr := it.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("local kv: get: %w", cerr)
		}
	}()
	vals = make([][]byte, len(keys))
	for _, i := range order {
		if !it.SeekGE(keys[i]) || !bytes.Equal(it.Key(), keys[i]) {
			continue
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return nil, fmt.Errorf("local kv: get: %w", err)
		}
		vals[i] = copies.copy(v)
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("local kv: get: %w", err)
	}
	return vals, nil
}

func (r reader) Scan(ctx context.Context, start, end []byte, limit int) ([]kv.KV, error) {
	return r.scan(ctx, start, end, limit, false)
}

func (r reader) ReverseScan(ctx context.Context, start, end []byte, limit int) ([]kv.KV, error) {
	return r.scan(ctx, start, end, limit, true)
}

// maxScanPrealloc bounds the room a limited scan makes for its results
// up front (a scan's limit is often far above what it finds).
const maxScanPrealloc = 32

func (r reader) scan(ctx context.Context, start, end []byte, limit int, reverse bool) (out []kv.KV, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	it, err := r.r.NewIter(&pebble.IterOptions{LowerBound: start, UpperBound: end})
	if err != nil {
		return nil, fmt.Errorf("local kv: scan: %w", err)
	}
	defer func() {
		if cerr := it.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("local kv: scan: %w", cerr)
		}
	}()
	first, next := it.First, it.Next
	if reverse {
		first, next = it.Last, it.Prev
	}
	var copies slab
	for ok := first(); ok; ok = next() {
		v, err := it.ValueAndErr()
		if err != nil {
			return nil, fmt.Errorf("local kv: scan: %w", err)
		}
		if out == nil && limit > 0 {
			out = make([]kv.KV, 0, min(limit, maxScanPrealloc))
		}
		out = append(out, kv.KV{Key: copies.copy(it.Key()), Value: copies.copy(v)})
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out, nil
}

// txn is a write transaction over an indexed batch. It is only ever used
// under the store's writer lock, so nothing else can change what it reads.
type txn struct {
	reader
	batch   *pebble.Batch
	applied []func() // OnApplied's
}

var (
	_ kv.SerialTxn     = (*txn)(nil)
	_ kv.ApplyNotifier = (*txn)(nil)
)

// OnApplied has f run once the batch is applied, or dropped (runLocked).
func (t *txn) OnApplied(f func()) { t.applied = append(t.applied, f) }

// notifyApplied runs the OnApplied functions, once.
func (t *txn) notifyApplied() {
	for _, f := range t.applied {
		f()
	}
	t.applied = nil
}

// Serial marks the txn as kv.SerialTxn: the writer lock keeps every other
// writer out while it runs.
func (*txn) Serial() {}

func (t *txn) Set(key, value []byte) error {
	if len(key) == 0 {
		return kv.ErrEmptyKey
	}
	if len(value) == 0 {
		return fmt.Errorf("set %q: %w", key, kv.ErrEmptyValue)
	}
	return t.batch.Set(key, value, nil)
}

func (t *txn) Delete(key []byte) error {
	if len(key) == 0 {
		return kv.ErrEmptyKey
	}
	return t.batch.Delete(key, nil)
}

var _ kv.SetOnceDeleter = (*txn)(nil)

// DeleteSetOnce deletes with Pebble's SingleDelete (kv.SetOnceDeleter).
func (t *txn) DeleteSetOnce(key []byte) error {
	if len(key) == 0 {
		return kv.ErrEmptyKey
	}
	return t.batch.SingleDelete(key, nil)
}

// LockSkip locks nothing: holding the writer lock already excludes every
// other writer. It returns the keys that exist.
func (t *txn) LockSkip(ctx context.Context, keys [][]byte) ([]kv.KV, error) {
	copies := &slab{}
	vals, err := t.getMany(ctx, keys, copies)
	if err != nil {
		return nil, err
	}
	out := make([]kv.KV, 0, len(keys))
	for i, v := range vals {
		if v != nil {
			out = append(out, kv.KV{Key: copies.copy(keys[i]), Value: v})
		}
	}
	return out, nil
}
