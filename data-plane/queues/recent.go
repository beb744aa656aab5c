package queues

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/internal/kv"
)

// Two ways to read a queue record for less than a request of its own, for
// the message paths on TiKV, where every read is a network round trip.
//
// ReadWith reads the record in the same BatchGet as keys the caller needs
// anyway (a delete's message records): the same read, one request fewer.
//
// ReadRecent reuses a record this catalog read shortly before, for a
// caller that can act on a record a little old (a standard receive: see
// the engine's claim). A write through this catalog (this node's purges,
// deletes, attribute and tag changes) ends the reuse for every record at
// once: a reader marks the catalog's finished writes before its
// transaction begins, and a record is reused only while no write has
// finished since the mark of the transaction that read it. Another
// catalog's writes (another node's) are seen once the record is maxAge
// old.

// writeCountingStore counts the catalog's finished Updates.
type writeCountingStore struct {
	kv.Store
	writes *atomic.Uint64
}

func (s writeCountingStore) Update(ctx context.Context, fn func(kv.Txn) error) error {
	defer s.writes.Add(1)
	return s.Store.Update(ctx, fn)
}

// ReadMark is taken before a transaction that reads a record with
// ReadRecent begins.
type ReadMark struct {
	writes uint64
	at     time.Time
}

// Mark returns a ReadMark for a transaction about to begin.
func (c *Catalog) Mark() ReadMark {
	return ReadMark{writes: c.writes.Load(), at: time.Now()}
}

type recentRecords struct {
	mu      sync.Mutex
	entries map[Ref]recentRecord
}

type recentRecord struct {
	rec  *Record
	mark ReadMark // of the transaction that read it
}

// ReadRecent is Read, except that it returns the record a transaction
// marked at most maxAge ago read, if no write through this catalog has
// finished since that mark. The age is measured on the monotonic clock,
// not the catalog's, which tests freeze. The result is shared and must
// not be changed.
func (c *Catalog) ReadRecent(ctx context.Context, r kv.Reader, ref Ref, mark ReadMark, maxAge time.Duration) (*Record, error) {
	recent := &c.recent
	recent.mu.Lock()
	hit, ok := recent.entries[ref]
	recent.mu.Unlock()
	if ok && hit.mark.writes == c.writes.Load() && time.Since(hit.mark.at) < maxAge {
		return hit.rec, nil
	}
	q, err := c.Read(ctx, r, ref)
	if err != nil {
		return nil, err
	}
	recent.mu.Lock()
	if recent.entries == nil || len(recent.entries) >= maxCachedRecords {
		recent.entries = map[Ref]recentRecord{}
	}
	recent.entries[ref] = recentRecord{rec: q, mark: mark}
	recent.mu.Unlock()
	return q, nil
}

// ReadWith is Read that also reads keys, in one BatchGet: it returns the
// record and the values of the keys that exist, keyed by string(key).
func (c *Catalog) ReadWith(ctx context.Context, r kv.Reader, ref Ref, keys [][]byte) (*Record, map[string][]byte, error) {
	rk := recordKey(ref)
	vals, err := r.BatchGet(ctx, append([][]byte{rk}, keys...))
	if err != nil {
		return nil, nil, fmt.Errorf("load queue %s: %w", ref.Name, err)
	}
	v, ok := vals[string(rk)]
	if !ok {
		return nil, nil, sqserr.NoQueue()
	}
	delete(vals, string(rk))
	q, err := c.decode(ref, v)
	return q, vals, err
}
