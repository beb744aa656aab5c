package engine

import (
	"bytes"
	"cmp"
	"context"
	"slices"

	"github.com/sluice-mq/sluice/internal/kv"
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
	entries, complete, err := c.oldestReady(ctx, c.want())
	if err != nil || len(entries) == 0 {
		return err
	}
	took, skipped, err := c.lockAndTake(ctx, entries)
	if skipped > 0 {
		// Another receiver is at work: the windows hold what it took.
		c.out.windows = nil
		c.e.windows.drop(c.d)
	} else if c.out.windows != nil {
		// Every entry tried was locked, so the first took are the ones
		// this claim used up.
		c.out.windowsTaken = entries[:took]
	}
	if err != nil || (skipped == 0 && complete) || c.want() <= 0 {
		return err
	}
	c.out.windows = nil // the contended way takes without telling them
	c.e.windows.drop(c.d)
	return c.claimShards(ctx, held)
}

// oldestReady returns, in index order, the ready entries that are surely
// the oldest of the queue: it reads need entries of every shard, and a
// shard that filled its window may hold unread entries below anything
// after its last one, so the merge stops there. complete reports that no
// shard had more to read.
func (c *claimer) oldestReady(ctx context.Context, need int) (entries []readyEntry, complete bool, err error) {
	if !kv.IsSerial(c.tx) {
		return c.oldestInWindows(ctx, need)
	}
	var bound *readyEntry
	for shard := range uint8(c.e.opts.Shards) {
		got, err := c.e.scanReady(ctx, c.tx, c.d, shard, c.now, c.began, need)
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

// oldestInWindows is oldestReady for a store where every scan is a round
// trip (claim_kept.go): it takes the oldest entries from the windows
// this node kept, scanning only the shards whose kept window vouches for
// too little to fill the batch, each for a window of 4×need+8 entries.
func (c *claimer) oldestInWindows(ctx context.Context, need int) (entries []readyEntry, complete bool, err error) {
	p := c.e.windows.load(c.d, c.e.opts.Shards, c.now)
	limit := 4*need + 8
	for {
		bound, missing := p.upTo()
		if !missing {
			entries = p.merged(bound)
			complete = bound == lastEntry
			if len(entries) >= need {
				break
			}
		}
		shard, ok := p.nextToScan()
		if !ok {
			break
		}
		got, err := c.e.scanReady(ctx, c.tx, c.d, shard, c.now, c.began, limit)
		if err != nil {
			return nil, false, err
		}
		p.windows[shard] = &shardWindow{entries: got, full: len(got) == limit, below: min(c.now, c.writesFrom), scanned: c.now, at: c.e.windows.now()}
		p.fresh[shard] = true
	}
	c.out.windows = p
	if len(entries) > limit {
		entries, complete = entries[:limit], false
	}
	return entries, complete, nil
}
