package engine

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"time"

	"github.com/sluice-mq/sluice/data-plane/tiering"
	"github.com/sluice-mq/sluice/data-plane/tiering/segment"
	"github.com/sluice-mq/sluice/internal/blob"
	"github.com/sluice-mq/sluice/internal/kv"
)

// Segment garbage. Every transaction that removes a cold message writes a
// dead marker for it under its segment, so a segment's dead messages are
// counted exactly, without a shared counter. The shard's lease holder
// removes a segment whose markers cover it, compacts one that is mostly
// dead into a new segment, and removes objects no segment record names
// (uploads whose commit never came). A removed segment's object is deleted
// DeleteGrace later, past any reader that fetched its record just before.

// maxSegmentsScanned bounds the segments one collection pass examines.
const maxSegmentsScanned = 1024

func (e *Engine) collectSegments(ctx context.Context, d did, shard uint8, lease *tierLease, out *tierOutcome) error {
	prefix := append(segmentPrefix(d), shard)
	var segs []kv.KV
	err := e.store.View(ctx, func(r kv.Reader) (err error) {
		segs, err = r.Scan(ctx, prefix, kv.PrefixEnd(prefix), maxSegmentsScanned)
		return err
	})
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range segs {
		seg := segRef{shard: shard}
		if len(p.Key) != len(prefix)+8 {
			continue
		}
		seg.id = binary.BigEndian.Uint64(p.Key[len(prefix):])
		sr, err := decodeSegmentRecord(p.Value)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		dead, err := e.countDead(ctx, d, seg, sr.records)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		switch tiering.SegmentFate(sr.records, dead) {
		case tiering.RetireSegment:
			errs = append(errs, e.retireSegment(ctx, d, seg, lease))
		case tiering.CompactSegment:
			left, err := e.compactSegment(ctx, d, seg, lease)
			out.compacting = out.compacting || left
			errs = append(errs, err)
		}
	}
	return errors.Join(append(errs, e.deleteRetiredBlobs(ctx, d))...)
}

func (e *Engine) countDead(ctx context.Context, d did, seg segRef, limit int64) (int64, error) {
	var n int64
	prefix := deadPrefix(d, seg)
	err := e.store.View(ctx, func(r kv.Reader) error {
		kvs, err := r.Scan(ctx, prefix, kv.PrefixEnd(prefix), int(limit)+1)
		n = int64(len(kvs))
		return err
	})
	return n, err
}

// retireChunk bounds the dead markers one retiring transaction deletes. A
// segment has up to 4,096; deleting them in one transaction met, on the
// tikv mock, the leftover locks of the deletes that wrote them, each
// resolved by a scan of the whole store under its one lock (117 such
// resolutions in a goroutine dump), and its own commit left as many to
// the readers after it: receives and sends waited past their clients'
// deadlines (docs/reliability.md).
const retireChunk = 64

// retireSegment removes a segment whose dead markers cover it: its markers,
// its record, and (queued for DeleteGrace) its object. Each transaction,
// under the lease, deletes up to retireChunk markers and lowers the
// record's count by as many, so the segment stays exactly covered between
// them, after a crash too, and the next pass goes on; the last one also
// deletes the record and queues the object.
func (e *Engine) retireSegment(ctx context.Context, d did, seg segRef, lease *tierLease) error {
	prefix := deadPrefix(d, seg)
	for done := false; !done; {
		err := e.store.Update(ctx, func(tx kv.Txn) error {
			done = false
			if err := e.tierLeases.renew(ctx, tx, d, seg.shard, lease); err != nil {
				return err
			}
			v, err := tx.Get(ctx, segmentKey(d, seg))
			if isNotFound(err) {
				done = true // retired already
				return nil
			}
			if err != nil {
				return err
			}
			sr, err := decodeSegmentRecord(v)
			if err != nil {
				return err
			}
			markers, err := tx.Scan(ctx, prefix, kv.PrefixEnd(prefix), retireChunk+1)
			if err != nil {
				return err
			}
			last := len(markers) <= retireChunk
			markers = markers[:min(len(markers), retireChunk)]
			for _, p := range markers {
				if err := tx.Delete(p.Key); err != nil {
					return err
				}
			}
			if !last {
				sr.records = max(sr.records-int64(len(markers)), 0)
				return tx.Set(segmentKey(d, seg), sr.encode())
			}
			done = true
			if err := tx.Delete(segmentKey(d, seg)); err != nil {
				return err
			}
			after := e.clock().Add(e.opts.Tiering.DeleteGrace).UnixMilli()
			return tx.Set(blobDeleteKey(d, after, seg), present)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// compactChunk bounds the records one compaction transaction moves, so
// each holds few locks for a short time and a conflict redoes little. Its
// writes (64 records, 64 dead markers, the lease and segment record, under
// 12 KiB) fit in the first 16 KiB batch of a TiKV commit, committed whole
// before the call returns: with 128 the second batch's locks were still
// there when the retirement right after scanned the old segment's markers,
// and the tikv mock resolved each of them with a scan of the whole store
// (docs/reliability.md, "S3 down for a minute").
const compactChunk = 64

// compactRounds bounds how often a compaction goes back for records that
// receivers held; what is still held waits for the next pass.
const compactRounds = 3

// compactSegment copies the segment's live frames, unchanged, into a new
// segment and moves their records to it in small transactions
// (compactChunk records each, under the lease). Each locks its records
// with LockSkip, like a claim: a record a receiver holds is skipped, not
// waited for nor conflicted with, and stays on the old segment for a later
// round or pass. Every commit keeps both segments exact: a moved record
// gets a dead marker in the old segment and counts once more in the new
// segment's record (written by the first chunk that moves one), so a
// record always names a segment that exists, and the old segment is
// retired only once its markers cover it, by the usual rule. A frame that
// fails its check keeps the old segment alive: its message is reported
// when read, never moved.
func (e *Engine) compactSegment(ctx context.Context, d did, old segRef, lease *tierLease) (left bool, err error) {
	oldKey := segmentBlobKey(d, old)
	if err := e.cold.recheck(oldKey, noFrame, time.Now()); err != nil {
		return false, fmt.Errorf("compact %s: %w", oldKey, err)
	}
	fctx, cancel := context.WithTimeout(ctx, 4*e.opts.Tiering.FetchTimeout)
	data, err := e.cold.reader.Segment(fctx, oldKey)
	cancel()
	if err != nil {
		return false, fmt.Errorf("compact %s: %w", oldKey, err)
	}
	entries, err := segment.ReadIndex(data)
	if err != nil {
		e.cold.corrupt.Add(1)
		if e.cold.suspects.corrupt(oldKey, noFrame, time.Now()) { // read again after the backoff
			e.log.Error("segment index failed its check; not compacted", "segment", oldKey, "err", err)
		}
		return false, nil
	}
	deadIDs := map[msgID]bool{}
	prefix := deadPrefix(d, old)
	err = e.store.View(ctx, func(r kv.Reader) error {
		kvs, err := r.Scan(ctx, prefix, kv.PrefixEnd(prefix), 0)
		for _, p := range kvs {
			var id msgID
			copy(id[:], p.Key[len(prefix):])
			deadIDs[id] = true
		}
		return err
	})
	if err != nil {
		return false, err
	}
	b := e.cold.codec.NewBuilder()
	frames := map[msgID]segment.Ref{}
	var ids []msgID // in segment order, which is roughly index order
	for _, en := range entries {
		if deadIDs[en.ID] {
			continue
		}
		ref, err := b.AddFrame(en.ID, data[en.Ref.Offset:en.Ref.Offset+en.Ref.Length])
		if err != nil {
			e.cold.corrupt.Add(1)
			if e.cold.suspects.corrupt(oldKey, en.Ref.Offset, time.Now()) { // read again after the backoff
				e.log.Error("cold message failed its check; segment not compacted", "segment", oldKey, "message", formatMessageID(en.ID), "err", err)
			}
			return false, nil
		}
		frames[en.ID] = ref
		ids = append(ids, en.ID)
	}
	now := e.clock().UnixMilli()
	fresh := segRef{shard: old.shard, id: uint64(now)<<16 | uint64(mrand.Uint32()&0xffff)}
	freshKey := segmentBlobKey(d, fresh)
	if err := e.putBlob(ctx, freshKey, b.Finish()); err != nil {
		return false, err
	}
	// Until a chunk commits no record names the new object: a failure
	// leaves it to the orphan sweep, as in tierOnce.
	for round := 0; len(ids) > 0 && round < compactRounds; round++ {
		if round > 0 {
			select { // let the receivers holding the rest finish
			case <-ctx.Done():
				return false, ctx.Err()
			case <-time.After(time.Duration(50<<round) * time.Millisecond):
			}
		}
		var held []msgID
		for len(ids) > 0 {
			chunk := ids[:min(compactChunk, len(ids))]
			ids = ids[len(chunk):]
			skipped, err := e.compactMove(ctx, d, old, fresh, lease, chunk, frames)
			if err != nil {
				return false, fmt.Errorf("compact %s: %w", oldKey, err)
			}
			held = append(held, skipped...)
		}
		ids = held
	}
	if len(ids) > 0 {
		e.log.Debug("compaction left records receivers held for the next pass", "segment", oldKey, "records", len(ids))
		return true, nil
	}
	// Everything moved or died: retire the old segment by the usual rule,
	// which counts its markers again.
	var sr segmentRecord
	err = e.store.View(ctx, func(r kv.Reader) error {
		v, err := r.Get(ctx, segmentKey(d, old))
		if err == nil {
			sr, err = decodeSegmentRecord(v)
		}
		return err
	})
	if err != nil {
		return false, err
	}
	dead, err := e.countDead(ctx, d, old, sr.records)
	if err != nil {
		return false, err
	}
	if tiering.SegmentFate(sr.records, dead) == tiering.RetireSegment {
		return false, e.retireSegment(ctx, d, old, lease)
	}
	return false, nil
}

// compactMove moves the records of ids still on old to fresh in one
// transaction under the lease, and returns those it could not lock: a
// receiver holds them (or they are gone, which a later round finds out).
func (e *Engine) compactMove(ctx context.Context, d did, old, fresh segRef, lease *tierLease, ids []msgID, frames map[msgID]segment.Ref) ([]msgID, error) {
	var skipped []msgID
	err := e.store.Update(ctx, func(tx kv.Txn) error {
		skipped = skipped[:0]
		if err := e.tierLeases.renew(ctx, tx, d, old.shard, lease); err != nil {
			return err
		}
		keys := make([][]byte, len(ids))
		for i, id := range ids {
			keys[i] = messageKey(d, id)
		}
		// LockSkip reads through the lock: the record as it is now, held
		// by this transaction until it commits.
		locked, err := tx.LockSkip(ctx, keys)
		if err != nil {
			return err
		}
		got := make(map[string][]byte, len(locked))
		for _, p := range locked {
			got[string(p.Key)] = p.Value
		}
		moved := int64(0)
		for i, id := range ids {
			v, ok := got[string(keys[i])]
			if !ok {
				skipped = append(skipped, id)
				continue
			}
			rec, err := decodeMessage(v)
			if err != nil {
				return err
			}
			if rec.Cold == nil || rec.Cold.seg != old {
				continue // removed or changed meanwhile: not ours to move
			}
			rec.Cold.seg, rec.Cold.frame = fresh, frames[id]
			if err := tx.Set(keys[i], rec.encodeCold()); err != nil {
				return err
			}
			if err := tx.Set(deadKey(d, old, id), present); err != nil {
				return err
			}
			moved++
		}
		if moved == 0 {
			return nil
		}
		sr := segmentRecord{}
		v, err := tx.Get(ctx, segmentKey(d, fresh))
		switch {
		case err == nil:
			if sr, err = decodeSegmentRecord(v); err != nil {
				return err
			}
		case !errors.Is(err, kv.ErrNotFound):
			return err
		}
		sr.records += moved
		return tx.Set(segmentKey(d, fresh), sr.encode())
	})
	return skipped, err
}

// deleteRetiredBlobs deletes the objects of retired segments whose grace
// is over.
func (e *Engine) deleteRetiredBlobs(ctx context.Context, d did) error {
	prefix := blobDeletePrefix(d)
	var due []kv.KV
	err := e.store.View(ctx, func(r kv.Reader) (err error) {
		due, err = r.Scan(ctx, prefix, blobDeleteKey(d, e.clock().UnixMilli()+1, segRef{}), sweepBatch)
		return err
	})
	if err != nil {
		return err
	}
	for _, p := range due {
		rest := p.Key[len(prefix)+8:]
		if len(rest) != 9 {
			continue
		}
		seg := segRef{shard: rest[0], id: binary.BigEndian.Uint64(rest[1:])}
		key := segmentBlobKey(d, seg)
		if err := e.cold.opts.Blobs.Delete(ctx, key); err != nil {
			return fmt.Errorf("delete segment %s: %w", key, err)
		}
		e.cold.reader.Forget(key)
		if err := e.store.Update(ctx, func(tx kv.Txn) error { return tx.Delete(p.Key) }); err != nil {
			return err
		}
	}
	return nil
}

// sweepOrphans removes the shard's objects that no segment record names
// and no retired segment waits on, once they are OrphanAge old: uploads
// whose commit never came (a crash, a lost lease). It runs once per
// OrphanAge per shard, under the lease, so no upload of the shard is in
// progress but this node's own, which are committed by then.
func (e *Engine) sweepOrphans(ctx context.Context, d did, shard uint8, lease *tierLease) error {
	if at := e.clock().UnixMilli(); lease.orphanAt != 0 && at-lease.orphanAt < e.opts.Tiering.OrphanAge.Milliseconds() {
		return nil
	}
	named, err := e.namedSegments(ctx, d, shard)
	if err != nil {
		return err
	}
	// Object ages are the blob store's clock against this machine's, not
	// the engine's (tests move that one by hand).
	now := time.Now()
	prefix := shardBlobPrefix(d, shard)
	var errs []error
	err = e.forEachBlob(ctx, prefix, func(o blob.ObjectInfo) error {
		seg, ok := parseSegmentBlobKey(o.Key, prefix, shard)
		if !ok || named[seg] || now.Sub(o.LastModified) < e.opts.Tiering.OrphanAge {
			return nil
		}
		if err := e.cold.opts.Blobs.Delete(ctx, o.Key); err != nil {
			errs = append(errs, fmt.Errorf("delete orphan %s: %w", o.Key, err))
			return nil
		}
		e.cold.reader.Forget(o.Key)
		e.log.Info("removed an orphaned segment upload", "segment", o.Key)
		return nil
	})
	if err = errors.Join(append(errs, err)...); err != nil {
		return err
	}
	lease.orphanAt = e.clock().UnixMilli()
	return e.tierLeases.save(ctx, d, shard, lease)
}

// namedSegments returns the shard's segments that a segment record or a
// pending deletion names: their objects are no orphans.
func (e *Engine) namedSegments(ctx context.Context, d did, shard uint8) (map[segRef]bool, error) {
	named := map[segRef]bool{}
	err := e.store.View(ctx, func(r kv.Reader) error {
		prefix := append(segmentPrefix(d), shard)
		recs, err := r.Scan(ctx, prefix, kv.PrefixEnd(prefix), 0)
		if err != nil {
			return err
		}
		for _, p := range recs {
			if len(p.Key) == len(prefix)+8 {
				named[segRef{shard: shard, id: binary.BigEndian.Uint64(p.Key[len(prefix):])}] = true
			}
		}
		prefix = blobDeletePrefix(d)
		pending, err := r.Scan(ctx, prefix, kv.PrefixEnd(prefix), 0)
		for _, p := range pending {
			if rest := p.Key[len(prefix):]; len(rest) == 8+9 && rest[8] == shard {
				named[segRef{shard: shard, id: binary.BigEndian.Uint64(rest[9:])}] = true
			}
		}
		return err
	})
	return named, err
}

// forEachBlob hands fn every object under prefix, a page at a time.
func (e *Engine) forEachBlob(ctx context.Context, prefix string, fn func(blob.ObjectInfo) error) error {
	for after := ""; ; {
		page, err := e.cold.opts.Blobs.List(ctx, blob.ListOptions{Prefix: prefix, StartAfter: after})
		if err != nil {
			return fmt.Errorf("list segments: %w", err)
		}
		for _, o := range page.Objects {
			if err := fn(o); err != nil {
				return err
			}
		}
		if page.Next == "" {
			return nil
		}
		after = page.Next
	}
}

// deleteDataBlobs removes every segment object of a purged or deleted
// queue's data range.
func (e *Engine) deleteDataBlobs(ctx context.Context, d did) error {
	if e.cold == nil {
		return nil
	}
	return e.forEachBlob(ctx, segmentBlobPrefix(d), func(o blob.ObjectInfo) error {
		if err := e.cold.opts.Blobs.Delete(ctx, o.Key); err != nil {
			return fmt.Errorf("delete segment %s: %w", o.Key, err)
		}
		e.cold.reader.Forget(o.Key)
		return nil
	})
}
