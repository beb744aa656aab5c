package queues

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/internal/kv"
)

// recordCache saves the message paths decoding the queue record on every
// call. The record is still read in the caller's transaction and a cached
// decoding is used only if the stored bytes are identical, so a purge,
// delete or attribute change is seen at once: the cache saves the JSON
// decode, never the read.
type recordCache struct {
	mu      sync.Mutex
	entries map[Ref]cachedRecord
}

type cachedRecord struct {
	raw []byte
	rec *Record
}

// maxCachedRecords bounds the cache; past it the cache starts over.
const maxCachedRecords = 10000

// Read is Load for callers that only read the record: the result is
// shared and must not be changed.
func (c *Catalog) Read(ctx context.Context, r kv.Reader, ref Ref) (*Record, error) {
	v, err := r.Get(ctx, recordKey(ref))
	if errors.Is(err, kv.ErrNotFound) {
		return nil, sqserr.NoQueue()
	}
	if err != nil {
		return nil, fmt.Errorf("load queue %s: %w", ref.Name, err)
	}
	return c.decode(ref, v)
}

// decode returns the record stored as v, reusing the cached decoding of
// identical bytes.
func (c *Catalog) decode(ref Ref, v []byte) (*Record, error) {
	cache := &c.cache
	cache.mu.Lock()
	hit, ok := cache.entries[ref]
	cache.mu.Unlock()
	if ok && bytes.Equal(hit.raw, v) {
		return hit.rec, nil
	}
	q, err := Decode(v)
	if err != nil {
		return nil, fmt.Errorf("decode queue %s: %w", ref.Name, err)
	}
	cache.mu.Lock()
	if cache.entries == nil || len(cache.entries) >= maxCachedRecords {
		cache.entries = map[Ref]cachedRecord{}
	}
	cache.entries[ref] = cachedRecord{raw: bytes.Clone(v), rec: q}
	cache.mu.Unlock()
	return q, nil
}
