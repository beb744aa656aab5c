package queues

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/internal/kv"
)

// purgeQuietMillis is how long after a purge SQS refuses another.
const purgeQuietMillis = 60_000

// Delete removes the queue at once and returns its old data range, which
// the engine's sweeper removes: the caller wakes the range's long polls.
func (c *Catalog) Delete(ctx context.Context, ref Ref) (DataID, error) {
	var old DataID
	err := c.store.Update(ctx, func(tx kv.Txn) error {
		q, err := Load(ctx, tx, ref)
		if err != nil {
			return err
		}
		old = q.DID()
		if err := tx.Set(GarbageKey(old), []byte{1}); err != nil {
			return err
		}
		stamp, _ := json.Marshal(c.clock().Unix())
		if err := tx.Set(deletedKey(ref), stamp); err != nil {
			return err
		}
		if !ref.Internal() {
			if err := addQueueCount(ctx, tx, ref.Account, -1); err != nil {
				return err
			}
		}
		return tx.Delete(recordKey(ref))
	})
	return old, err
}

// Purge empties the queue at once by switching it to a fresh data range,
// and returns the old one, which the engine's sweeper removes: the caller
// wakes its long polls. SQS allows one purge a minute.
func (c *Catalog) Purge(ctx context.Context, ref Ref) (DataID, error) {
	var old DataID
	err := c.store.Update(ctx, func(tx kv.Txn) error {
		q, err := Load(ctx, tx, ref)
		if err != nil {
			return err
		}
		old = q.DID()
		now := c.clock().UnixMilli()
		if q.PurgedAt != 0 && now-q.PurgedAt < purgeQuietMillis {
			return sqserr.Errorf(sqserr.CodePurgeQueueInProgress, "Only one PurgeQueue operation on %s is allowed every 60 seconds.", ref.Name)
		}
		if err := tx.Set(GarbageKey(old), []byte{1}); err != nil {
			return err
		}
		d := newDataID()
		q.DataID, q.PurgedAt = d[:], now
		if err := tx.Set(NameKey(d), recordKey(ref)); err != nil {
			return err
		}
		return save(tx, ref, q)
	})
	return old, err
}

// DeleteAccount deletes every queue of the account, in every region, as
// Delete does, and returns the data ranges of those it deleted, whose long
// polls the caller wakes.
func (c *Catalog) DeleteAccount(ctx context.Context, account string) ([]DataID, error) {
	prefix := AccountPrefix(account)
	var deleted []DataID
	err := c.forEachPage(ctx, prefix, func(page []kv.KV) error {
		for _, p := range page {
			region, name, ok := strings.Cut(string(p.Key[len(prefix):]), "/")
			if !ok {
				return fmt.Errorf("queue key %q: no region", p.Key)
			}
			old, err := c.Delete(ctx, Ref{Account: account, Region: region, Name: name})
			if errors.Is(err, sqserr.ErrQueueDoesNotExist) {
				continue // deleted meanwhile
			}
			if err != nil {
				return fmt.Errorf("delete queue %s/%s: %w", region, name, err)
			}
			deleted = append(deleted, old)
		}
		return nil
	})
	return deleted, err
}

// sweepBatch bounds the markers one sweep transaction deletes.
const sweepBatch = 500

// SweepDeletedMarkers deletes a batch of deleted-queue markers older than
// the QueueDeletedRecently window, and never younger than SQS's (so a node
// with a shorter window takes none that another node still honours); the
// engine's sweeper calls it with its own work, so no node needs a loop of
// its own for it.
func (c *Catalog) SweepDeletedMarkers(ctx context.Context) error {
	prefix := []byte("C/d/")
	now := c.clock().Unix()
	keep := max(c.recreateDelay, int64(DefaultRecreateDelay/time.Second))
	return c.store.Update(ctx, func(tx kv.Txn) error {
		kvs, err := tx.Scan(ctx, prefix, kv.PrefixEnd(prefix), sweepBatch)
		if err != nil {
			return fmt.Errorf("sweep deleted-queue markers: %w", err)
		}
		for _, p := range kvs {
			var at int64
			if json.Unmarshal(p.Value, &at) == nil && now-at < keep {
				continue
			}
			if err := tx.Delete(p.Key); err != nil {
				return err
			}
		}
		return nil
	})
}
