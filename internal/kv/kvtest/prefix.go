package kvtest

import (
	"bytes"
	"context"

	"github.com/sluice-mq/sluice/internal/kv"
)

// prefixStore confines a test to its own key range of a shared store, so
// tests can run against a long-lived TiKV cluster and still see an empty
// store each.
type prefixStore struct {
	inner  kv.Store
	prefix []byte
}

func (p prefixStore) Update(ctx context.Context, fn func(tx kv.Txn) error) error {
	return p.inner.Update(ctx, func(tx kv.Txn) error { return fn(prefixTxn{prefixReader{tx, p.prefix}, tx}) })
}

func (p prefixStore) View(ctx context.Context, fn func(r kv.Reader) error) error {
	return p.inner.View(ctx, func(r kv.Reader) error { return fn(prefixReader{r, p.prefix}) })
}

func (p prefixStore) Close() error { return nil } // the shared store outlives the test

type prefixReader struct {
	r      kv.Reader
	prefix []byte
}

func (p prefixReader) key(k []byte) []byte {
	if len(k) == 0 {
		return nil // keep the driver's empty-key error
	}
	return append(bytes.Clone(p.prefix), k...)
}

// bounds maps a scan range into the prefix; a nil end means the prefix's end.
func (p prefixReader) bounds(start, end []byte) ([]byte, []byte) {
	s := append(bytes.Clone(p.prefix), start...)
	if end == nil {
		return s, kv.PrefixEnd(p.prefix)
	}
	return s, append(bytes.Clone(p.prefix), end...)
}

func (p prefixReader) strip(kvs []kv.KV) []kv.KV {
	for i := range kvs {
		kvs[i].Key = bytes.TrimPrefix(kvs[i].Key, p.prefix)
	}
	return kvs
}

func (p prefixReader) Get(ctx context.Context, key []byte) ([]byte, error) {
	return p.r.Get(ctx, p.key(key))
}

func (p prefixReader) BatchGet(ctx context.Context, keys [][]byte) (map[string][]byte, error) {
	full := make([][]byte, len(keys))
	for i, k := range keys {
		full[i] = p.key(k)
	}
	m, err := p.r.BatchGet(ctx, full)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(m))
	for k, v := range m {
		out[string(bytes.TrimPrefix([]byte(k), p.prefix))] = v
	}
	return out, nil
}

func (p prefixReader) Scan(ctx context.Context, start, end []byte, limit int) ([]kv.KV, error) {
	s, e := p.bounds(start, end)
	kvs, err := p.r.Scan(ctx, s, e, limit)
	return p.strip(kvs), err
}

func (p prefixReader) ReverseScan(ctx context.Context, start, end []byte, limit int) ([]kv.KV, error) {
	s, e := p.bounds(start, end)
	kvs, err := p.r.ReverseScan(ctx, s, e, limit)
	return p.strip(kvs), err
}

type prefixTxn struct {
	prefixReader
	tx kv.Txn
}

func (p prefixTxn) Set(key, value []byte) error { return p.tx.Set(p.key(key), value) }
func (p prefixTxn) Delete(key []byte) error     { return p.tx.Delete(p.key(key)) }

func (p prefixTxn) LockSkip(ctx context.Context, keys [][]byte) ([]kv.KV, error) {
	full := make([][]byte, len(keys))
	for i, k := range keys {
		full[i] = p.key(k)
	}
	kvs, err := p.tx.LockSkip(ctx, full)
	return p.strip(kvs), err
}
