package engine

import (
	"bytes"
	"cmp"
	"context"
	"slices"
)

// claimOldest claims the queue's oldest ready messages, oldest first: the
// shards' ready entries merged in index order, visible-at time and then
// message id (ids sort in the order a node made them, msgid.go), so fresh
// sends through one node come out in send order. It is the claim of a
// receive alone on its queue (contention.go). When it meets another
// receiver after all (one on another node), or falls short of the batch
// with more entries unread (it dropped expired messages, dead-lettered
// some, or could not read cold ones), it fills the rest of the batch as a
// contended receive does, which reads further.
func (c *claimer) claimOldest(ctx context.Context, held *heldShards) error {
	entries, complete, err := c.oldestReady(ctx, c.in.MaxNumberOfMessages-len(c.out.msgs))
	if err != nil || len(entries) == 0 {
		return err
	}
	_, skipped, err := c.lockAndTake(ctx, entries)
	if err != nil || (skipped == 0 && complete) || len(c.out.msgs) == c.in.MaxNumberOfMessages {
		return err
	}
	return c.claimShards(ctx, held)
}

// oldestReady returns, in index order, the ready entries that are surely
// the oldest of the queue: it reads need entries of every shard, and a
// shard that filled its window may hold unread entries below anything
// after its last one, so the merge stops there. complete reports that no
// shard had more to read.
func (c *claimer) oldestReady(ctx context.Context, need int) (entries []readyEntry, complete bool, err error) {
	var bound *readyEntry
	for shard := range uint8(c.e.opts.Shards) {
		got, err := c.e.scanReady(ctx, c.tx, c.d, shard, c.now, need)
		if err != nil {
			return nil, false, err
		}
		if len(got) == need && (bound == nil || indexOrder(got[need-1], *bound) < 0) {
			bound = &got[need-1]
		}
		entries = append(entries, got...)
	}
	slices.SortFunc(entries, indexOrder)
	if bound == nil {
		return entries, true, nil
	}
	end, _ := slices.BinarySearchFunc(entries, *bound, indexOrder)
	return entries[:end+1], false, nil
}

// indexOrder orders entries as the visibility index does within a shard.
func indexOrder(a, b readyEntry) int {
	if c := cmp.Compare(a.visibleAt, b.visibleAt); c != 0 {
		return c
	}
	return bytes.Compare(a.id[:], b.id[:])
}
