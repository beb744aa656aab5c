package tikv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	tikverr "github.com/tikv/client-go/v2/error"
	clientkv "github.com/tikv/client-go/v2/kv"
	"github.com/tikv/client-go/v2/oracle"

	"github.com/sluice-mq/sluice/internal/kv"
)

// LockSkip locks the keys without waiting and returns, in the order given,
// those it locked that exist, with their values read through the lock (or
// this transaction's own writes).
//
// All keys go out in one no-wait request per region: receivers spread over
// a shuffled claim window rarely meet each other's locks, so a claim of ten
// usually costs one request. Such a request fails as a whole when one key is
// taken, and client-go then rolls back asynchronously, at that attempt's
// for-update timestamp, what it did lock in other regions. LockSkip then
// locks the keys one at a time at a fresh, larger for-update timestamp, which
// that rollback cannot undo: TiKV (and the mock) remove a pessimistic lock
// only when its for-update timestamp is at most the rollback's, and relocking
// a key this transaction holds raises its lock's timestamp. A failed request
// marks no key locked in client-go's buffer, so the commit carries only keys
// some successful request locked (docs/architecture.md §3).
func (t *txn) LockSkip(ctx context.Context, keys [][]byte) ([]kv.KV, error) {
	own, toLock, err := t.splitOwnWrites(ctx, keys)
	if err != nil {
		return nil, err
	}
	locked, err := t.lockSkipAll(ctx, toLock)
	if err != nil {
		return nil, err
	}
	out := make([]kv.KV, 0, len(keys))
	for _, key := range keys {
		if v, ok := own[string(key)]; ok {
			if len(v) > 0 { // an empty value is a buffered delete
				out = append(out, kv.KV{Key: bytes.Clone(key), Value: v})
			}
			continue
		}
		if v, ok := locked[string(key)]; ok {
			out = append(out, kv.KV{Key: bytes.Clone(key), Value: v})
			delete(locked, string(key)) // a repeated key is returned once
		}
	}
	return out, nil
}

// splitOwnWrites sets apart the keys this transaction wrote, which win over
// the store, from the distinct keys left to lock.
func (t *txn) splitOwnWrites(ctx context.Context, keys [][]byte) (map[string][]byte, [][]byte, error) {
	own := map[string][]byte{}
	seen := make(map[string]bool, len(keys))
	toLock := make([][]byte, 0, len(keys))
	for _, key := range keys {
		if len(key) == 0 {
			return nil, nil, kv.ErrEmptyKey
		}
		if v, err := t.t.GetMemBuffer().Get(ctx, key); err == nil {
			own[string(key)] = bytes.Clone(v.Value)
			continue
		}
		if !seen[string(key)] {
			seen[string(key)] = true
			toLock = append(toLock, key)
		}
	}
	return own, toLock, nil
}

// lockSkipAll locks the keys, all in one request if none is taken, else one
// at a time, and returns the values of those locked that exist.
func (t *txn) lockSkipAll(ctx context.Context, keys [][]byte) (map[string][]byte, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	first, err := t.store.CurrentTimestamp(oracle.GlobalTxnScope)
	if err != nil {
		return nil, fmt.Errorf("tikv kv: lock timestamp: %w", err)
	}
	values, err := t.lockNoWait(ctx, first, keys...)
	switch {
	case err == nil:
		return values, nil
	case !taken(err):
		return nil, fmt.Errorf("tikv kv: lock %d keys: %w", len(keys), err)
	case len(keys) == 1:
		return nil, nil
	}
	// The rollback of the failed request is still in flight: everything
	// below must lock at a for-update timestamp above first.
	retry, err := t.store.CurrentTimestamp(oracle.GlobalTxnScope)
	if err != nil {
		return nil, fmt.Errorf("tikv kv: lock timestamp: %w", err)
	}
	if retry <= first {
		return nil, fmt.Errorf("tikv kv: lock timestamp %d not above the failed attempt's %d", retry, first)
	}
	values = make(map[string][]byte, len(keys))
	for _, key := range keys {
		one, err := t.lockNoWait(ctx, retry, key)
		if taken(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("tikv kv: lock %q: %w", key, err)
		}
		for k, v := range one {
			values[k] = v
		}
	}
	return values, nil
}

// lockNoWait sends one no-wait lock request per region for the keys at
// forUpdateTS and returns the values of those that exist. A key this
// transaction had already locked comes back without a value, as before.
func (t *txn) lockNoWait(ctx context.Context, forUpdateTS uint64, keys ...[]byte) (map[string][]byte, error) {
	lockCtx := clientkv.NewLockCtx(forUpdateTS, clientkv.LockNoWait, time.Now())
	lockCtx.InitReturnValues(len(keys))
	if err := t.t.LockKeys(ctx, lockCtx, keys...); err != nil {
		return nil, err
	}
	values := make(map[string][]byte, len(keys))
	for k, rv := range lockCtx.Values {
		if rv.AlreadyLocked || !rv.Exists || len(rv.Value) == 0 {
			continue
		}
		values[k] = bytes.Clone(rv.Value)
	}
	return values, nil
}

// taken reports a lock request that failed because another transaction
// holds a key or wrote it after the for-update timestamp.
func taken(err error) bool {
	return err != nil && (errors.Is(err, tikverr.ErrLockAcquireFailAndNoWaitSet) || tikverr.IsErrWriteConflict(err))
}
