package engine

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/sluice-mq/sluice/internal/kv"
)

// countDeltas holds the change in each queue's message count that this
// node has committed but not yet written. Each node adds its deltas to a
// count key of its own, so message transactions never touch a hot counter.
type countDeltas struct {
	mu     sync.Mutex
	deltas map[did]int64
}

func newCountDeltas() *countDeltas { return &countDeltas{deltas: map[did]int64{}} }

func (c *countDeltas) add(d did, n int64) {
	if n == 0 {
		return
	}
	c.mu.Lock()
	c.deltas[d] += n
	c.mu.Unlock()
}

func (c *countDeltas) pending(d did) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.deltas[d]
}

func (c *countDeltas) take() map[did]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.deltas
	c.deltas = map[did]int64{}
	return out
}

func (e *Engine) flushCounts(ctx context.Context) error {
	pending := e.counts.take()
	for d, n := range pending {
		if n == 0 {
			continue
		}
		key := countKey(d, e.opts.NodeID)
		err := e.store.Update(ctx, func(tx kv.Txn) error {
			cur, err := readCount(ctx, tx, key)
			if err != nil {
				return err
			}
			return tx.Set(key, binary.BigEndian.AppendUint64(nil, uint64(cur+n)))
		})
		if err != nil {
			e.counts.add(d, n) // keep it for the next flush
			return fmt.Errorf("flush count: %w", err)
		}
	}
	return nil
}

func readCount(ctx context.Context, r kv.Reader, key []byte) (int64, error) {
	v, err := r.Get(ctx, key)
	if err != nil {
		if isNotFound(err) {
			return 0, nil
		}
		return 0, err
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("count record %q has %d bytes", key, len(v))
	}
	return int64(binary.BigEndian.Uint64(v)), nil
}

// storedCount sums every node's flushed count for the data range.
func storedCount(ctx context.Context, r kv.Reader, d did) (int64, error) {
	prefix := countPrefix(d)
	kvs, err := r.Scan(ctx, prefix, prefixEnd(prefix), 0)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, p := range kvs {
		if len(p.Value) == 8 {
			total += int64(binary.BigEndian.Uint64(p.Value))
		}
	}
	return total, nil
}
