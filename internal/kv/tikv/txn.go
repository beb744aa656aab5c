package tikv

import (
	"bytes"
	"context"
	"fmt"

	tikverr "github.com/tikv/client-go/v2/error"
	clientkv "github.com/tikv/client-go/v2/kv"
	"github.com/tikv/client-go/v2/tikv"
	"github.com/tikv/client-go/v2/txnkv/transaction"
	"github.com/tikv/client-go/v2/txnkv/txnsnapshot"

	"github.com/sluice-mq/sluice/internal/kv"
)

// iterator is client-go's union-store iterator.
type iterator interface {
	Valid() bool
	Key() []byte
	Value() []byte
	Next() error
	Close()
}

// source is what both a transaction and a snapshot offer for reading.
type source interface {
	Get(ctx context.Context, k []byte) ([]byte, error)
	BatchGet(ctx context.Context, keys [][]byte) (map[string][]byte, error)
	Iter(k, upperBound []byte) (iterator, error)
	IterReverse(k, lowerBound []byte) (iterator, error)
}

type reader struct{ r source }

func (r reader) Get(ctx context.Context, key []byte) ([]byte, error) {
	if len(key) == 0 {
		return nil, kv.ErrEmptyKey
	}
	v, err := r.r.Get(ctx, key)
	if tikverr.IsErrNotFound(err) {
		return nil, fmt.Errorf("get %q: %w", key, kv.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("tikv kv: get %q: %w", key, err)
	}
	return bytes.Clone(v), nil
}

func (r reader) BatchGet(ctx context.Context, keys [][]byte) (map[string][]byte, error) {
	for _, k := range keys {
		if len(k) == 0 {
			return nil, kv.ErrEmptyKey
		}
	}
	m, err := r.r.BatchGet(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("tikv kv: batch get: %w", err)
	}
	return m, nil
}

func (r reader) Scan(ctx context.Context, start, end []byte, limit int) ([]kv.KV, error) {
	if start == nil {
		start = []byte{}
	}
	it, err := r.r.Iter(start, end)
	if err != nil {
		return nil, fmt.Errorf("tikv kv: scan: %w", err)
	}
	return collect(ctx, it, limit)
}

func (r reader) ReverseScan(ctx context.Context, start, end []byte, limit int) ([]kv.KV, error) {
	it, err := r.r.IterReverse(end, start)
	if err != nil {
		return nil, fmt.Errorf("tikv kv: reverse scan: %w", err)
	}
	return collect(ctx, it, limit)
}

func collect(ctx context.Context, it iterator, limit int) ([]kv.KV, error) {
	defer it.Close()
	var out []kv.KV
	for it.Valid() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out = append(out, kv.KV{Key: bytes.Clone(it.Key()), Value: bytes.Clone(it.Value())})
		if limit > 0 && len(out) == limit {
			break
		}
		if err := it.Next(); err != nil {
			return nil, fmt.Errorf("tikv kv: scan: %w", err)
		}
	}
	return out, nil
}

// txnSource adapts a transaction to source.
type txnSource struct{ t *transaction.KVTxn }

func (s txnSource) Get(ctx context.Context, k []byte) ([]byte, error) {
	e, err := s.t.Get(ctx, k)
	return e.Value, err
}

func (s txnSource) BatchGet(ctx context.Context, keys [][]byte) (map[string][]byte, error) {
	m, err := s.t.BatchGet(ctx, keys)
	if err != nil {
		return nil, err
	}
	return values(m), nil
}

func (s txnSource) Iter(k, upper []byte) (iterator, error)        { return s.t.Iter(k, upper) }
func (s txnSource) IterReverse(k, lower []byte) (iterator, error) { return s.t.IterReverse(k, lower) }

// snapshotReader adapts a read-only snapshot to source.
type snapshotReader struct{ s *txnsnapshot.KVSnapshot }

func (s snapshotReader) Get(ctx context.Context, k []byte) ([]byte, error) {
	e, err := s.s.Get(ctx, k)
	return e.Value, err
}

func (s snapshotReader) BatchGet(ctx context.Context, keys [][]byte) (map[string][]byte, error) {
	m, err := s.s.BatchGet(ctx, keys)
	if err != nil {
		return nil, err
	}
	return values(m), nil
}

func (s snapshotReader) Iter(k, upper []byte) (iterator, error) { return s.s.Iter(k, upper) }
func (s snapshotReader) IterReverse(k, lower []byte) (iterator, error) {
	return s.s.IterReverse(k, lower)
}

func values(m map[string]clientkv.ValueEntry) map[string][]byte {
	out := make(map[string][]byte, len(m))
	for k, e := range m {
		out[k] = bytes.Clone(e.Value)
	}
	return out
}

type txn struct {
	reader
	t     *transaction.KVTxn
	store *tikv.KVStore
}

func (t *txn) Set(key, value []byte) error {
	if len(key) == 0 {
		return kv.ErrEmptyKey
	}
	if len(value) == 0 {
		return fmt.Errorf("set %q: %w", key, kv.ErrEmptyValue)
	}
	return t.t.Set(key, value)
}

func (t *txn) Delete(key []byte) error {
	if len(key) == 0 {
		return kv.ErrEmptyKey
	}
	return t.t.Delete(key)
}
