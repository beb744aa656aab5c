package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sluice-mq/sluice/internal/kv"
)

// sweepBatch bounds the keys one sweep transaction deletes.
const sweepBatch = 500

// Sweep removes the data of deleted and purged queues, messages past their
// retention from every queue (receivers drop the ones they meet, but idle
// queues have no receivers), and expired deleted-queue markers. Sweeps on
// several nodes may overlap; they conflict and retry, never double-count.
func (e *Engine) Sweep(ctx context.Context) error {
	return errors.Join(e.sweepGarbage(ctx), e.sweepExpired(ctx), e.sweepDeletedMarkers(ctx))
}

func (e *Engine) sweepGarbage(ctx context.Context) error {
	var ranges []kv.KV
	err := e.store.View(ctx, func(r kv.Reader) (err error) {
		ranges, err = r.Scan(ctx, garbagePrefix, prefixEnd(garbagePrefix), 100)
		return err
	})
	if err != nil {
		return err
	}
	for _, g := range ranges {
		var d did
		copy(d[:], g.Key[len(garbagePrefix):])
		prefix := dataPrefix(d)
		for done := false; !done; {
			err := e.store.Update(ctx, func(tx kv.Txn) error {
				kvs, err := tx.Scan(ctx, prefix, prefixEnd(prefix), sweepBatch)
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

// sweepExpired deletes index entries visible before now minus the
// retention period: their messages were sent even earlier, so they are
// certainly expired, and no record needs reading.
func (e *Engine) sweepExpired(ctx context.Context) error {
	start := []byte("C/q/")
	end := prefixEnd(start)
	for {
		var page []kv.KV
		err := e.store.View(ctx, func(r kv.Reader) (err error) {
			page, err = r.Scan(ctx, start, end, 200)
			return err
		})
		if err != nil {
			return err
		}
		for _, p := range page {
			var q queueRecord
			if json.Unmarshal(p.Value, &q) != nil {
				continue
			}
			if err := e.sweepQueue(ctx, &q); err != nil {
				return err
			}
		}
		if len(page) < 200 {
			return nil
		}
		start = append(page[len(page)-1].Key, 0)
	}
}

func (e *Engine) sweepQueue(ctx context.Context, q *queueRecord) error {
	d := q.did()
	cutoff := e.clock().UnixMilli() - int64(q.Attributes.MessageRetentionPeriod)*1000
	for shard := range uint8(e.opts.Shards) {
		for done := false; !done; {
			var removed int64
			err := e.store.Update(ctx, func(tx kv.Txn) error {
				removed = 0
				floor, err := e.floor(ctx, tx, d, shard)
				if err != nil {
					return err
				}
				kvs, err := tx.Scan(ctx, indexBound(d, shard, floor), indexBound(d, shard, cutoff), sweepBatch)
				if err != nil {
					return err
				}
				prefixLen := len(shardPrefix(d, shard))
				for _, p := range kvs {
					_, id, ok := parseIndexKey(p.Key, prefixLen)
					if !ok {
						continue
					}
					if err := tx.Delete(p.Key); err != nil {
						return err
					}
					if err := tx.Delete(messageKey(d, id)); err != nil {
						return err
					}
					removed++
				}
				done = len(kvs) < sweepBatch
				return nil
			})
			if err != nil {
				return fmt.Errorf("sweep expired messages: %w", err)
			}
			e.counts.add(d, -removed)
		}
	}
	return nil
}

func (e *Engine) sweepDeletedMarkers(ctx context.Context) error {
	prefix := []byte("C/d/")
	now := e.clock().Unix()
	return e.store.Update(ctx, func(tx kv.Txn) error {
		kvs, err := tx.Scan(ctx, prefix, prefixEnd(prefix), sweepBatch)
		if err != nil {
			return err
		}
		for _, p := range kvs {
			var at int64
			if json.Unmarshal(p.Value, &at) == nil && now-at < deletedQuietSecs {
				continue
			}
			if err := tx.Delete(p.Key); err != nil {
				return err
			}
		}
		return nil
	})
}
