package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/internal/kv"
)

// sweepBatch bounds the keys one sweep transaction deletes.
const sweepBatch = 500

// Sweep removes the data of deleted and purged queues, messages past their
// retention from the queues due for background work (receivers drop the
// ones they meet, but idle queues have no receivers; due.go), and expired
// deleted-queue markers. Sweeps on several nodes may overlap; they
// conflict and retry, never double-count.
func (e *Engine) Sweep(ctx context.Context) error {
	return errors.Join(e.sweepGarbage(ctx), e.visitDue(ctx), e.catalog.SweepDeletedMarkers(ctx))
}

func (e *Engine) sweepGarbage(ctx context.Context) error {
	var ranges []kv.KV
	err := e.store.View(ctx, func(r kv.Reader) (err error) {
		ranges, err = r.Scan(ctx, queues.GarbagePrefix(), kv.PrefixEnd(queues.GarbagePrefix()), 100)
		return err
	})
	if err != nil {
		return err
	}
	for _, g := range ranges {
		var d did
		copy(d[:], g.Key[len(queues.GarbagePrefix()):])
		if err := e.deleteDataBlobs(ctx, d); err != nil {
			return err
		}
		prefix := dataPrefix(d)
		for done := false; !done; {
			err := e.store.Update(ctx, func(tx kv.Txn) error {
				kvs, err := tx.Scan(ctx, prefix, kv.PrefixEnd(prefix), sweepBatch)
				if err != nil {
					return err
				}
				for _, p := range kvs {
					if err := tx.Delete(p.Key); err != nil {
						return err
					}
				}
				done = len(kvs) < sweepBatch
				if done {
					return tx.Delete(g.Key)
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("sweep data range: %w", err)
			}
		}
	}
	return nil
}

// sweepQueue deletes index entries visible before now minus the
// retention period (their messages were sent even earlier, so they are
// certainly expired), rescues strays below the floors and, on FIFO
// queues, expired deduplication and attempt records.
func (e *Engine) sweepQueue(ctx context.Context, q *queues.Record) error {
	d := q.DID()
	if err := e.rescueStrays(ctx, d); err != nil {
		return err
	}
	cutoff := e.clock().UnixMilli() - int64(q.Attributes.MessageRetentionPeriod)*1000
	if q.Attributes.FifoQueue {
		// Rounds are bounded: an entry whose group another transaction
		// holds is skipped and found again by the next sweep.
		retention := int64(q.Attributes.MessageRetentionPeriod) * 1000
		expired := e.sweepExpiredEntries(ctx, d, cutoff, sweepGroups, 100, func(tx kv.Txn, _ uint8, entries []readyEntry) (delta, error) {
			now := e.clock().UnixMilli()
			return newFIFOGroups(tx, e.opts.Shards, now).dropExpired(ctx, d, entries, now-retention)
		})
		return errors.Join(expired, e.sweepFIFOWindows(ctx, d))
	}
	return e.sweepExpiredEntries(ctx, d, cutoff, sweepBatch, 0, func(tx kv.Txn, shard uint8, entries []readyEntry) (delta, error) {
		var removed delta
		for _, en := range entries {
			// The record is read only for its size, for the stored bytes
			// count.
			rec, err := getMessage(ctx, tx, d, en.id)
			if err != nil {
				return removed, err
			}
			if err := tx.Delete(indexKey(d, shard, en.visibleAt, en.id)); err != nil {
				return removed, err
			}
			if rec == nil {
				continue
			}
			if err := rec.drop(tx, d, en.id); err != nil {
				return removed, err
			}
			removed = removed.plus(one(rec))
		}
		return removed, nil
	})
}

// sweepExpiredEntries hands clean, shard by shard and in transactions of
// up to limit, the index entries visible before cutoff, counting what it
// removed. rounds > 0 bounds the transactions per shard, for entries
// clean may have to leave for the next sweep.
func (e *Engine) sweepExpiredEntries(ctx context.Context, d did, cutoff int64, limit, rounds int, clean func(kv.Txn, uint8, []readyEntry) (delta, error)) error {
	for shard := range uint8(e.opts.Shards) {
		for round, done := 0, false; !done && (rounds == 0 || round < rounds); round++ {
			var removed delta
			err := e.store.Update(ctx, func(tx kv.Txn) error {
				floor, err := e.floor(ctx, tx, d, shard)
				if err != nil {
					return err
				}
				kvs, err := tx.Scan(ctx, indexBound(d, shard, floor), indexBound(d, shard, cutoff), limit)
				if err != nil {
					return err
				}
				done = len(kvs) < limit
				removed, err = clean(tx, shard, indexEntries(kvs, len(shardPrefix(d, shard))))
				return err
			})
			if err != nil {
				return fmt.Errorf("sweep expired messages: %w", err)
			}
			e.counts.addFromVisit(d, removed.neg())
		}
	}
	return nil
}

// rescueWindow is how far below a floor the sweeper looks for entries a
// writer committed too late: one that read its clock more than
// maxClockSkew before committing. A transaction cannot outlive TiKV's GC
// lifetime (10 minutes), so nothing older can appear.
const rescueWindow = 11 * 60 * 1000 // ms

// rescueStrays moves index entries found just below a shard's floor up to
// now, where every receiver's scan finds them. It is the safety net under
// the floor's timing assumption: without it such a message would never
// be received again.
func (e *Engine) rescueStrays(ctx context.Context, d did) error {
	for shard := range uint8(e.opts.Shards) {
		var strays []readyEntry
		err := e.store.View(ctx, func(r kv.Reader) error {
			floor, err := e.floor(ctx, r, d, shard)
			if err != nil || floor == 0 {
				return err
			}
			kvs, err := r.Scan(ctx, indexBound(d, shard, floor-rescueWindow), indexBound(d, shard, floor), sweepBatch)
			if err != nil {
				return err
			}
			strays = indexEntries(kvs, len(shardPrefix(d, shard)))
			return nil
		})
		if err != nil {
			return err
		}
		if len(strays) == 0 {
			continue
		}
		var moved int
		err = e.store.Update(ctx, func(tx kv.Txn) error {
			moved = 0
			now := e.clock().UnixMilli()
			if strays[0].group != "" {
				n, err := newFIFOGroups(tx, e.opts.Shards, now).rescue(ctx, d, strays)
				moved = n
				return err
			}
			for _, st := range strays {
				locked, err := tx.LockSkip(ctx, [][]byte{messageKey(d, st.id)})
				if err != nil {
					return err
				}
				if len(locked) == 0 {
					continue
				}
				rec, err := decodeMessage(locked[0].Value)
				if err != nil {
					return err
				}
				if rec.Shard != shard || rec.VisibleAt != st.visibleAt {
					continue
				}
				if err := tx.Delete(indexKey(d, shard, st.visibleAt, st.id)); err != nil {
					return err
				}
				rec.VisibleAt = max(now, st.visibleAt)
				if err := rec.putState(tx, d, st.id, entryInFlight); err != nil {
					return err
				}
				moved++
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("rescue entries below the scan floor: %w", err)
		}
		if moved > 0 {
			e.log.Warn("moved index entries written below the scan floor", "count", moved, "shard", shard)
			e.waiters.notify(d)
		}
	}
	return nil
}
