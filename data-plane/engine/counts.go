package engine

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	"github.com/sluice-mq/sluice/internal/kv"
)

// countDeltas holds the change in each queue's message count and stored
// bytes that this node has committed but not yet written. Each node adds
// its deltas to a count key of its own, so message transactions never
// touch a hot counter.
//
// It also remembers which queues the node's calls changed, and since when
// (unix ms), for the due index (due.go): those have background work.
type countDeltas struct {
	clock   func() time.Time
	mu      sync.Mutex
	deltas  map[did]delta
	touched map[did]int64
	// flushing hands a queue's delta from memory to its count record
	// atomically for readers: a flush holds its stripe's write lock from
	// taking the delta until the record is committed, and a count read
	// (Stats.counted) holds the read lock from before its snapshot until it
	// has added the delta. Without it a read between the two found the
	// delta in neither place: a dead-letter queue read 0 after 27 moves.
	flushing [64]sync.RWMutex
}

// stripe is the flush lock of d's stripe.
func (c *countDeltas) stripe(d did) *sync.RWMutex {
	return &c.flushing[int(d[0])%len(c.flushing)]
}

// delta is a change in messages, in their stored bytes (body plus
// attributes, as SQS counts a message's size) and in the part of those
// bytes that is cold (in segments on the blob store).
type delta struct{ n, bytes, cold int64 }

func (d delta) plus(o delta) delta { return delta{d.n + o.n, d.bytes + o.bytes, d.cold + o.cold} }

// one is the delta of one message record.
func one(rec *messageRecord) delta {
	if rec.Cold != nil {
		return delta{1, rec.size(), rec.size()}
	}
	return delta{1, rec.size(), 0}
}

func (d delta) neg() delta { return delta{-d.n, -d.bytes, -d.cold} }

// hot is the part of the stored bytes whose bodies are in the store.
func (d delta) hot() int64 { return d.bytes - d.cold }

func newCountDeltas(clock func() time.Time) *countDeltas {
	return &countDeltas{clock: clock, deltas: map[did]delta{}, touched: map[did]int64{}}
}

// add records a change a call made, and that the queue has work.
func (c *countDeltas) add(d did, x delta) {
	if x == (delta{}) {
		return
	}
	now := c.clock().UnixMilli()
	c.mu.Lock()
	c.deltas[d] = c.deltas[d].plus(x)
	if _, ok := c.touched[d]; !ok {
		c.touched[d] = now
	}
	c.mu.Unlock()
}

// addFromVisit records a change background work made: the visit that
// made it reschedules the queue itself.
func (c *countDeltas) addFromVisit(d did, x delta) {
	if x == (delta{}) {
		return
	}
	c.mu.Lock()
	c.deltas[d] = c.deltas[d].plus(x)
	c.mu.Unlock()
}

// touch records that the queue has had work since at.
func (c *countDeltas) touch(d did, at int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur, ok := c.touched[d]; !ok || at < cur {
		c.touched[d] = at
	}
}

// takeTouched returns and forgets the queues touched since the last call.
func (c *countDeltas) takeTouched() map[did]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.touched
	c.touched = map[did]int64{}
	return out
}

func (c *countDeltas) pending(d did) delta {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.deltas[d]
}

// queues returns the queues with a delta to flush.
func (c *countDeltas) queues() []did {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]did, 0, len(c.deltas))
	for d := range c.deltas {
		out = append(out, d)
	}
	return out
}

// take returns and forgets d's delta.
func (c *countDeltas) take(d did) delta {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.deltas[d]
	delete(c.deltas, d)
	return out
}

// flushCounts adds each queue's delta to this node's count record, one
// queue at a time. On an error the deltas not written, the failed one's
// and those of the queues not reached, stay for the next flush.
func (e *Engine) flushCounts(ctx context.Context) error {
	for _, d := range e.counts.queues() {
		if err := e.flushCount(ctx, d); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) flushCount(ctx context.Context, d did) error {
	mu := e.counts.stripe(d)
	mu.Lock()
	defer mu.Unlock()
	n := e.counts.take(d)
	if n == (delta{}) {
		return nil
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
		e.counts.addFromVisit(d, n) // keep it for the next flush
		return fmt.Errorf("flush count: %w", err)
	}
	return nil
}

// encode lays a count record out as the message count, the stored bytes
// and the cold bytes, 8 bytes big-endian each. Records written before
// byte counting hold the count alone, before the cold tier the first two.
func (d delta) encode() []byte {
	b := binary.BigEndian.AppendUint64(nil, uint64(d.n))
	b = binary.BigEndian.AppendUint64(b, uint64(d.bytes))
	return binary.BigEndian.AppendUint64(b, uint64(d.cold))
}

func decodeCount(v []byte) (delta, bool) {
	var d delta
	switch len(v) {
	case 24:
		d.cold = int64(binary.BigEndian.Uint64(v[16:]))
		fallthrough
	case 16:
		d.bytes = int64(binary.BigEndian.Uint64(v[8:]))
		fallthrough
	case 8:
		d.n = int64(binary.BigEndian.Uint64(v))
		return d, true
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
	kvs, err := r.Scan(ctx, prefix, kv.PrefixEnd(prefix), 0)
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
