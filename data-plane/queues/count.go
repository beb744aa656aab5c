package queues

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/sluice-mq/sluice/internal/kv"
)

// An account's queue count lives in one key, C/n/{account}, that every
// create and delete reads and writes inside its own transaction. Two
// concurrent creates therefore write the same key: on TiKV the second
// conflicts and retries, seeing the first; the local store serialises them.
// So a queue quota decided on the count (NewQueue.Admit) is exact under any
// concurrency, where counting the records (a scan) would let concurrent
// creates each see room for one more.
//
// The key is created on first use by counting the account's records, so
// stores written before it existed need no migration, and removed when the
// count drops to zero.

// queueCount returns the account's number of queues, in every region.
func queueCount(ctx context.Context, r kv.Reader, account string) (int64, error) {
	v, err := r.Get(ctx, countKey(account))
	if err == nil {
		n, size := binary.Varint(v)
		if size <= 0 || n < 0 {
			return 0, fmt.Errorf("queue count of %s: corrupt value %x", account, v)
		}
		return n, nil
	}
	if !errors.Is(err, kv.ErrNotFound) {
		return 0, fmt.Errorf("queue count of %s: %w", account, err)
	}
	prefix := AccountPrefix(account)
	kvs, err := r.Scan(ctx, prefix, kv.PrefixEnd(prefix), 0)
	if err != nil {
		return 0, fmt.Errorf("count queues of %s: %w", account, err)
	}
	var n int64
	for _, e := range kvs {
		if ref, ok := ParseKey(e.Key); ok && !ref.Internal() {
			n++
		}
	}
	return n, nil
}

// addQueueCount adds delta to the account's queue count in tx.
func addQueueCount(ctx context.Context, tx kv.Txn, account string, delta int64) error {
	n, err := queueCount(ctx, tx, account)
	if err != nil {
		return err
	}
	n = max(n+delta, 0)
	if n == 0 {
		return tx.Delete(countKey(account))
	}
	return tx.Set(countKey(account), binary.AppendVarint(nil, n))
}

// admitQueue counts a new queue of the account in tx, once admit (nil:
// anything goes) accepts the account's current count.
func admitQueue(ctx context.Context, tx kv.Txn, account string, admit func(queuesInAccount int64) error) error {
	n, err := queueCount(ctx, tx, account)
	if err != nil {
		return err
	}
	if admit != nil {
		if err := admit(n); err != nil {
			return err
		}
	}
	return tx.Set(countKey(account), binary.AppendVarint(nil, n+1))
}
