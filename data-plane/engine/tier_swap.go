package engine

import (
	"context"
	"errors"

	"github.com/sluice-mq/sluice/internal/kv"
)

// tierSwapChunk bounds the messages one swap transaction points at their
// segment. A tier pass after an S3 outage has thousands of bodies to swap;
// in one transaction it held the oldest messages' locks — the ones receives
// and deletes want first — for as long as locking them one by one and a
// two-phase commit of hundreds of kilobytes took, and on TiKV left that
// commit's secondary locks for every later reader to resolve (client-go's
// mock store resolves a lock by scanning the whole store under its one
// mutex, which stalled every call for tens of seconds: docs/reliability.md,
// "S3 down for a minute"). 64 cold records, the lease and the segment
// record come to under 8 KiB, within the first batch of client-go's commit,
// which is committed whole before the call returns.
const tierSwapChunk = 64

// swapToSegment points the items' records, those still hot, at their
// frames in seg, tierSwapChunk records a transaction, each under the lease
// and adding what it swapped to the segment record (written by the first
// chunk that swaps one), so a record always names a segment that exists
// and the segment record counts exactly the records that ever named it.
// A message another transaction holds is skipped, not waited for: it stays
// hot and its frame is never counted. The lease's resume key moves past
// the items only with the last chunk, and only when every item was
// swapped: otherwise the next pass starts over and finds the hot ones. It
// returns the bytes made cold by the chunks that committed and whether
// every item was swapped.
func (e *Engine) swapToSegment(ctx context.Context, d did, seg segRef, lease *tierLease, items []tierItem, resume []byte) (cold int64, swappedAll bool, err error) {
	before := lease.resume
	swappedAll = true
	for start := 0; start < len(items); start += tierSwapChunk {
		chunk := items[start:min(start+tierSwapChunk, len(items))]
		last := start+len(chunk) == len(items)
		var (
			chunkCold int64
			all       bool
		)
		err := e.store.Update(ctx, func(tx kv.Txn) error {
			var err error
			chunkCold, all, err = e.swapChunk(ctx, tx, d, seg, chunk)
			if err != nil {
				return err
			}
			lease.resume = before
			if last && swappedAll && all {
				lease.resume = resume
			} else if last {
				lease.resume = nil
			}
			return e.tierLeases.renew(ctx, tx, d, seg.shard, lease)
		})
		if err != nil {
			lease.resume = before
			return cold, false, err
		}
		cold += chunkCold
		swappedAll = swappedAll && all
	}
	return cold, swappedAll, nil
}

// swapChunk swaps the chunk's records that are still hot and not held by
// another transaction, in tx, and counts them in the segment record.
func (e *Engine) swapChunk(ctx context.Context, tx kv.Txn, d did, seg segRef, chunk []tierItem) (cold int64, all bool, err error) {
	keys := make([][]byte, len(chunk))
	for i, it := range chunk {
		keys[i] = messageKey(d, it.id)
	}
	// Messages another transaction holds (a receive, a delete) are
	// skipped, not waited for.
	locked, err := tx.LockSkip(ctx, keys)
	if err != nil {
		return 0, false, err
	}
	got := make(map[string][]byte, len(locked))
	for _, p := range locked {
		got[string(p.Key)] = p.Value
	}
	swapped := int64(0)
	all = true
	for i, it := range chunk {
		v, ok := got[string(keys[i])]
		if !ok {
			all = false // held elsewhere, or deleted: hot or gone
			continue
		}
		rec, err := decodeMessage(v)
		if err != nil {
			return 0, false, err
		}
		if rec.Cold != nil {
			continue // made cold meanwhile (a takeover's pass): not ours
		}
		rec.Cold = &coldRef{seg: seg, frame: it.frame, size: rec.size()}
		if err := tx.Set(keys[i], rec.encodeCold()); err != nil {
			return 0, false, err
		}
		swapped++
		cold += rec.size()
	}
	if swapped == 0 {
		return 0, all, nil
	}
	sr := segmentRecord{}
	v, err := tx.Get(ctx, segmentKey(d, seg))
	switch {
	case err == nil:
		if sr, err = decodeSegmentRecord(v); err != nil {
			return 0, false, err
		}
	case !errors.Is(err, kv.ErrNotFound):
		return 0, false, err
	}
	sr.records += swapped
	return cold, all, tx.Set(segmentKey(d, seg), sr.encode())
}
