package engine

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/sluice-mq/sluice/internal/kv"
)

// dropExpired removes expired messages from the front of the FIFO groups
// of entries, index entries that lie before the sweep's cutoff, and
// brings the groups up to date. A group's entry is never earlier than its
// head's send time, so every group with an expired head is found;
// messages behind the head were sent later and are found when they reach
// the front. cutoff is the send time at or before which a message has
// expired.
func (f *fifoGroups) dropExpired(ctx context.Context, d did, entries []readyEntry, cutoff int64) (delta, error) {
	var removed delta
	err := f.lockGroups(ctx, d, entries, func() int { return len(entries) }, func(group string, st *groupState) error {
		st.reindex, st.dirty = true, true
		n, err := dropExpiredFront(ctx, f.tx, d, group, cutoff)
		removed = removed.plus(n)
		return err
	})
	if err != nil {
		return removed, err
	}
	return removed, f.finish(ctx)
}

// sweepGroups bounds the groups one sweep transaction cleans.
const sweepGroups = 50

// dropExpiredFront deletes the group's messages sent before cutoff, from
// its front, up to sweepBatch of them; the rest are sent later.
func dropExpiredFront(ctx context.Context, tx kv.Txn, d did, group string, cutoff int64) (delta, error) {
	var (
		removed delta
		n       int
	)
	// A half message is not the sweeper's: its check-back decides it.
	err := walkGroup(ctx, tx, d, group, 0, halfVisibleAt-1, func() int { return sweepBatch - n }, func(o orderEntry, rec *messageRecord) (bool, error) {
		if rec.SentAt > cutoff {
			return true, nil
		}
		removed = removed.plus(one(rec))
		n++
		if err := tx.Delete(orderKey(d, group, o.seq)); err != nil {
			return false, err
		}
		return false, rec.drop(tx, d, o.id)
	})
	return removed, err
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
	r, err := decodeDedup(v)
	if err != nil {
		return 0, false
	}
	return r.expires, true
}

// rescue moves FIFO group entries found below a shard's floor up to now
// (see rescueStrays).
func (f *fifoGroups) rescue(ctx context.Context, d did, strays []readyEntry) (int, error) {
	moved := 0
	err := f.lockGroups(ctx, d, strays, func() int { return len(strays) }, func(_ string, st *groupState) error {
		st.reindex, st.dirty, st.force = true, true, true
		moved++
		return nil
	})
	if err != nil {
		return 0, err
	}
	return moved, f.finish(ctx)
}
