package engine

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/sluice-mq/sluice/internal/kv"
)

// countDeltas holds the change in each queue's message count and stored
// bytes that this node has committed but not yet written. Each node adds
// its deltas to a count key of its own, so message transactions never
// touch a hot counter.
type countDeltas struct {
	mu     sync.Mutex
	deltas map[did]delta
}

// delta is a change in messages and in their stored bytes (body plus
// attributes, as SQS counts a message's size).
type delta struct{ n, bytes int64 }

func (d delta) plus(o delta) delta { return delta{d.n + o.n, d.bytes + o.bytes} }

// one is the delta of one message record.
func one(rec *messageRecord) delta { return delta{1, rec.size()} }

func (d delta) neg() delta { return delta{-d.n, -d.bytes} }

func newCountDeltas() *countDeltas { return &countDeltas{deltas: map[did]delta{}} }

func (c *countDeltas) add(d did, x delta) {
	if x == (delta{}) {
		return
	}
	c.mu.Lock()
	c.deltas[d] = c.deltas[d].plus(x)
	c.mu.Unlock()
}

func (c *countDeltas) pending(d did) delta {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.deltas[d]
}

func (c *countDeltas) take() map[did]delta {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.deltas
	c.deltas = map[did]delta{}
	return out
}

func (e *Engine) flushCounts(ctx context.Context) error {
	pending := e.counts.take()
	for d, n := range pending {
		if n == (delta{}) {
			continue
		}
		key := countKey(d, e.opts.NodeID)
		err := e.store.Update(ctx, func(tx kv.Txn) error {
			cur, err := readCount(ctx, tx, key)
			if err != nil {
				return err
			}
			return tx.Set(key, cur.plus(n).encode())
		})
		if err != nil {
			e.counts.add(d, n) // keep it for the next flush
			return fmt.Errorf("flush count: %w", err)
		}
	}
	return nil
}

// encode lays a count record out as the message count, then the stored
// bytes, 8 bytes big-endian each. Records written before byte counting
// hold the count alone.
func (d delta) encode() []byte {
	return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, uint64(d.n)), uint64(d.bytes))
}

func decodeCount(v []byte) (delta, bool) {
	switch len(v) {
	case 8:
		return delta{n: int64(binary.BigEndian.Uint64(v))}, true
	case 16:
		return delta{int64(binary.BigEndian.Uint64(v)), int64(binary.BigEndian.Uint64(v[8:]))}, true
	}
	return delta{}, false
}

func readCount(ctx context.Context, r kv.Reader, key []byte) (delta, error) {
	v, err := r.Get(ctx, key)
	if err != nil {
		if isNotFound(err) {
			return delta{}, nil
		}
		return delta{}, err
	}
	d, ok := decodeCount(v)
	if !ok {
		return delta{}, fmt.Errorf("count record %q has %d bytes", key, len(v))
	}
	return d, nil
}

// storedCount sums every node's flushed count for the data range.
func storedCount(ctx context.Context, r kv.Reader, d did) (delta, error) {
	prefix := countPrefix(d)
	kvs, err := r.Scan(ctx, prefix, prefixEnd(prefix), 0)
	if err != nil {
		return delta{}, err
	}
	var total delta
	for _, p := range kvs {
		if c, ok := decodeCount(p.Value); ok {
			total = total.plus(c)
		}
	}
	return total, nil
}
