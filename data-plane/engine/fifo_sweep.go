package engine

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/sluice-mq/sluice/internal/kv"
)

// sweepExpiredGroups removes expired messages from the front of the FIFO
// groups whose index entries lie before the cutoff. A group's entry is
// never earlier than its head's send time, so every group with an expired
// head is found; messages behind the head were sent later and are found
// when they reach the front.
func (e *Engine) sweepExpiredGroups(ctx context.Context, q *queueRecord, cutoff int64) error {
	d := q.did()
	retention := int64(q.Attributes.MessageRetentionPeriod) * 1000
	for shard := range uint8(e.opts.Shards) {
		// Bounded: an entry whose group another transaction holds is
		// skipped and found again by the next sweep.
		for round, done := 0, false; !done && round < 100; round++ {
			var removed delta
			err := e.store.Update(ctx, func(tx kv.Txn) error {
				removed = delta{}
				floor, err := e.floor(ctx, tx, d, shard)
				if err != nil {
					return err
				}
				kvs, err := tx.Scan(ctx, indexBound(d, shard, floor), indexBound(d, shard, cutoff), sweepGroups)
				if err != nil {
					return err
				}
				done = len(kvs) < sweepGroups
				now := e.clock().UnixMilli()
				groups := newFIFOGroups(tx, e.opts.Shards, now)
				err = groups.lockGroups(ctx, d, indexEntries(kvs, len(shardPrefix(d, shard))), func() int { return len(kvs) }, func(group string, st *groupState) error {
					st.reindex, st.dirty = true, true
					n, err := dropExpiredFront(ctx, tx, d, group, now-retention)
					removed = removed.plus(n)
					return err
				})
				if err != nil {
					return err
				}
				return groups.finish(ctx)
			})
			if err != nil {
				return fmt.Errorf("sweep expired FIFO messages: %w", err)
			}
			e.counts.add(d, removed.neg())
		}
	}
	return nil
}

// sweepGroups bounds the groups one sweep transaction cleans.
const sweepGroups = 50

// dropExpiredFront deletes the group's messages sent before cutoff, from
// its front, up to sweepBatch of them; the rest are sent later.
func dropExpiredFront(ctx context.Context, tx kv.Txn, d did, group string, cutoff int64) (delta, error) {
	var (
		removed delta
		from    uint64
	)
	for n := 0; n < sweepBatch; {
		entries, err := scanOrder(ctx, tx, d, group, from, 50)
		if err != nil || len(entries) == 0 {
			return removed, err
		}
		for _, o := range entries {
			from = o.seq + 1
			rec, err := getMessage(ctx, tx, d, o.id)
			if err != nil {
				return removed, err
			}
			if rec != nil && rec.SentAt > cutoff {
				return removed, nil
			}
			if rec != nil {
				removed = removed.plus(one(rec))
			}
			if err := tx.Delete(orderKey(d, group, o.seq)); err != nil {
				return removed, err
			}
			if err := tx.Delete(messageKey(d, o.id)); err != nil {
				return removed, err
			}
			n++
		}
	}
	return removed, nil
}

// sweepFIFOWindows removes deduplication and receive-attempt records whose
// 5 minutes are over, through their expiry index.
func (e *Engine) sweepFIFOWindows(ctx context.Context, d did) error {
	prefix := expiryPrefix(d)
	for done := false; !done; {
		err := e.store.Update(ctx, func(tx kv.Txn) error {
			now := e.clock().UnixMilli()
			kvs, err := tx.Scan(ctx, prefix, binary.BigEndian.AppendUint64(append([]byte(nil), prefix...), uint64(now)), sweepBatch)
			if err != nil {
				return err
			}
			done = len(kvs) < sweepBatch
			for _, p := range kvs {
				if err := tx.Delete(p.Key); err != nil {
					return err
				}
				rest := p.Key[len(prefix):]
				if len(rest) < 8+1+2 {
					continue
				}
				kind, id := rest[9], string(rest[10:])
				key := dedupKey(d, id)
				if kind == 'r' {
					key = attemptKey(d, id)
				}
				// A record written again since carries a later expiry
				// (and its own index entry): keep it.
				v, err := tx.Get(ctx, key)
				if isNotFound(err) {
					continue
				}
				if err != nil {
					return err
				}
				if expires, ok := windowExpiry(kind, v); ok && expires > now {
					continue
				}
				if err := tx.Delete(key); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("sweep FIFO deduplication records: %w", err)
		}
	}
	return nil
}

// windowExpiry reads the expiry of a dedup ('x') or attempt ('r') record.
func windowExpiry(kind byte, v []byte) (int64, bool) {
	if kind == 'r' {
		a, err := decodeAttempt(did{}, v)
		if err != nil {
			return 0, false
		}
		return a.expires, true
	}
	if len(v) < 1+msgIDLen {
		return 0, false
	}
	dec := recordDecoder{b: v[1+msgIDLen:]}
	dec.uvarint()
	expires := dec.varint()
	return expires, dec.err == nil
}

// rescueGroups moves FIFO group entries found below a shard's floor up to
// now (see rescueStrays).
func rescueGroups(ctx context.Context, tx kv.Txn, shards int, now int64, d did, strays []readyEntry) (int, error) {
	groups := newFIFOGroups(tx, shards, now)
	moved := 0
	err := groups.lockGroups(ctx, d, strays, func() int { return len(strays) }, func(_ string, st *groupState) error {
		st.reindex, st.dirty, st.force = true, true, true
		moved++
		return nil
	})
	if err != nil {
		return 0, err
	}
	return moved, groups.finish(ctx)
}
