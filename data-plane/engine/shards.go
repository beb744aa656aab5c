package engine

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/sluice-mq/sluice/internal/kv"
)

// DefaultShards is how many visibility-index shards a queue has unless the
// engine is told otherwise (Options.Shards).
const DefaultShards = 8

// maxShards bounds Options.Shards.
const maxShards = 64

// Shards exist so that receivers on several nodes claim from different key
// ranges instead of queueing on one another's locks. A store with a single
// writer (the local store under sluice dev) has no such contention: its
// writer lock serialises every claim anyway, and every shard costs a
// receive one more scan, most of them empty on a queue its consumers keep
// up with (workload b: 14 scans a claim, 12 of them empty, at 8 shards).
//
// The count is part of the store's layout, since an index entry names its
// shard: a receive scans shards 0 to count−1 only, so an engine started
// with fewer shards than a store's messages were sent with would never see
// the others. So the count is recorded in the store (shardsKey) when it is
// first chosen, and read back at every start.
var shardsKey = []byte("E/shards")

// StoredShards returns the shard count recorded in store, recording one
// first if there is none: fresh, if the store holds no queue data yet
// (no Q/ key: no queue was ever created, or all are swept), else
// DefaultShards, the count every store had before it was recorded. Only an
// engine that is its store's sole writer may call it: two nodes starting
// at once could each record a different count.
func StoredShards(ctx context.Context, store kv.Store, fresh int) (int, error) {
	if fresh < 1 || fresh > maxShards {
		return 0, fmt.Errorf("engine: shards %d out of 1–%d", fresh, maxShards)
	}
	var n int
	err := store.Update(ctx, func(tx kv.Txn) error {
		v, err := tx.Get(ctx, shardsKey)
		switch {
		case err == nil:
			n, err = strconv.Atoi(string(v))
			if err != nil || n < 1 || n > maxShards {
				return fmt.Errorf("engine: stored shard count %q is not 1–%d", v, maxShards)
			}
			return nil
		case !errors.Is(err, kv.ErrNotFound):
			return fmt.Errorf("engine: read shard count: %w", err)
		}
		data, err := tx.Scan(ctx, queueData, kv.PrefixEnd(queueData), 1)
		if err != nil {
			return fmt.Errorf("engine: look for queue data: %w", err)
		}
		n = fresh
		if len(data) > 0 {
			n = DefaultShards
		}
		return tx.Set(shardsKey, []byte(strconv.Itoa(n)))
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
