package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	mrand "math/rand/v2"

	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/tiering"
	"github.com/sluice-mq/sluice/data-plane/tiering/segment"
	"github.com/sluice-mq/sluice/internal/kv"
)

// Tiering rolls the bodies of a queue's older messages into segments. Each
// index shard of a queue has one tierer at a time, the node holding the
// shard's lease (a FIFO queue, whose messages are found through its order
// lists, has one tierer, shard 0's). A pass scans the shard's visibility
// index from where the last pass stopped up to now minus the hot window
// (up to now while the queue's hot bytes are over budget), packs the hot
// bodies it finds into a segment, uploads it, and only then swaps each body
// still inline for a reference into the segment, in small transactions
// that also renew the lease (tier_swap.go). A message busy in another
// transaction is left hot for a later pass; its frame is never counted.

// Tier runs one pass over the queues due for background work (due.go):
// rolls bodies into segments where this node holds (or can take) a shard's
// lease, collects that shard's dead segments and orphaned uploads, and
// sweeps expired messages. Without a blob store it does nothing.
func (e *Engine) Tier(ctx context.Context) error {
	if e.cold == nil {
		return nil
	}
	err := e.visitDue(ctx)
	if err == nil {
		e.lastTier.Store(e.clock().UnixMilli())
	}
	return err
}

// tierOutcome is what a queue's tiering pass tells its next visit.
type tierOutcome struct {
	over       bool  // still over its hot-bytes budget
	uploaded   bool  // uploaded a segment (or tried to): an orphan sweep is due later
	deferUntil int64 // a small batch waits for more until then (unix ms); 0 if none
	// compacting: a compaction left records receivers held; it goes on
	// at the next pass.
	compacting bool
}

func (o *tierOutcome) deferTo(at int64) {
	if o.deferUntil == 0 || at < o.deferUntil {
		o.deferUntil = at
	}
}

// maxSegmentsPerPass bounds one shard's uploads in a pass, so one big
// backlog does not hold up every other queue.
const maxSegmentsPerPass = 16

func (e *Engine) tierQueue(ctx context.Context, q *queues.Record) (tierOutcome, error) {
	var out tierOutcome
	d := q.DID()
	settings := q.TieringOrDefault()
	var stored delta
	err := e.store.View(ctx, func(r kv.Reader) (err error) {
		stored, err = storedCount(ctx, r, d)
		return err
	})
	if err != nil {
		return out, err
	}
	over := stored.plus(e.counts.pending(d)).hot() - settings.HotBytesBudget
	shards := e.opts.Shards
	if q.Attributes.FifoQueue {
		shards = 1
	}
	var (
		errs   []error
		held   []uint8
		leases = map[uint8]*tierLease{}
	)
	busy, err := e.shardsWithTierWork(ctx, q, shards, over > 0)
	if err != nil {
		return out, err
	}
	for _, shard := range busy {
		lease, err := e.tierLeases.take(ctx, d, shard)
		if err != nil || lease == nil {
			errs = append(errs, err)
			continue
		}
		held, leases[shard] = append(held, shard), lease
	}
	// First what the hot window sends; then, while the queue is over its
	// budget, each shard rolls its share of what is still over, oldest
	// first (more rounds take what shards short of messages left).
	for _, shard := range held {
		rolled, err := e.tierShard(ctx, q, shard, leases[shard], settings, 0, &out)
		errs = append(errs, err)
		over -= rolled
	}
	for progress := true; progress && over > 0; {
		progress = false
		for i, shard := range held {
			rolled, err := e.tierShard(ctx, q, shard, leases[shard], settings, tiering.BudgetShare(over, len(held)-i), &out)
			errs = append(errs, err)
			over -= rolled
			progress = progress || rolled > 0
		}
	}
	for _, shard := range held {
		errs = append(errs, e.collectSegments(ctx, d, shard, leases[shard], &out), e.sweepOrphans(ctx, d, shard, leases[shard]))
	}
	// Shards another node holds are that node's to roll: look again
	// within a lease.
	out.over = over > 0 || len(held) < len(busy)
	return out, errors.Join(errs...)
}

// shardsWithTierWork returns the shards worth a lease, found with reads
// only: those with bodies past the hot window beyond the lease's resume
// key (any body, over budget), or with segments to collect, or all of
// them while the queue has segment objects waiting for deletion. A FIFO
// queue's one tierer walks its order lists, so shard 0 is always worth it.
func (e *Engine) shardsWithTierWork(ctx context.Context, q *queues.Record, shards int, overBudget bool) ([]uint8, error) {
	d := q.DID()
	if q.Attributes.FifoQueue {
		return []uint8{0}, nil
	}
	cutoff := tiering.HotCutoff(e.clock().UnixMilli(), q.TieringOrDefault().HotWindowSeconds, overBudget)
	var busy []uint8
	err := e.store.View(ctx, func(r kv.Reader) error {
		busy = busy[:0]
		deletions, err := r.Scan(ctx, blobDeletePrefix(d), kv.PrefixEnd(blobDeletePrefix(d)), 1)
		if err != nil {
			return err
		}
		for shard := range uint8(shards) {
			if len(deletions) > 0 {
				busy = append(busy, shard)
				continue
			}
			segs := append(segmentPrefix(d), shard)
			kvs, err := r.Scan(ctx, segs, kv.PrefixEnd(segs), 1)
			if err != nil {
				return err
			}
			if len(kvs) > 0 {
				busy = append(busy, shard)
				continue
			}
			floor, err := e.floor(ctx, r, d, shard)
			if err != nil {
				return err
			}
			lease, err := readLease(ctx, r, d, shard)
			if err != nil {
				return err
			}
			var resume []byte
			if lease.node == e.opts.NodeID {
				resume = lease.resume
			}
			start := tierScanStart(d, shard, floor, resume)
			end := indexBound(d, shard, cutoff+1)
			if bytes.Compare(start, end) >= 0 {
				continue
			}
			if kvs, err = r.Scan(ctx, start, end, 1); err != nil {
				return err
			}
			if len(kvs) > 0 {
				busy = append(busy, shard)
			}
		}
		return nil
	})
	return busy, err
}

// tierShard rolls the shard's eligible bodies, at most maxSegmentsPerPass
// segments of them; want > 0 asks for that many bytes, hot window or not.
func (e *Engine) tierShard(ctx context.Context, q *queues.Record, shard uint8, lease *tierLease, settings queues.TieringSettings, want int64, out *tierOutcome) (int64, error) {
	var total int64
	for i := range maxSegmentsPerPass {
		rolled, more, err := e.tierOnce(ctx, q, shard, lease, settings, max(want-total, 0), out)
		total += rolled
		if more && i == maxSegmentsPerPass-1 {
			out.over = true // a backlog: the next pass goes on
		}
		if err != nil || !more || (want > 0 && total >= want) {
			return total, err
		}
	}
	return total, nil
}

// tierItem is a message packed into the segment being built.
type tierItem struct {
	id    msgID
	frame segment.Ref
}

// tierOnce builds, uploads and commits at most one segment. It reports
// the bytes it made cold and whether the shard may hold more to roll.
func (e *Engine) tierOnce(ctx context.Context, q *queues.Record, shard uint8, lease *tierLease, settings queues.TieringSettings, want int64, out *tierOutcome) (int64, bool, error) {
	d := q.DID()
	now := e.clock().UnixMilli()
	cutoff := tiering.HotCutoff(now, settings.HotWindowSeconds, want > 0)
	b := e.cold.codec.NewBuilder()
	var (
		items   []tierItem
		packed  int64 // bytes, as SQS counts them
		oldest  = now
		resume  = lease.resume
		scanned = false // the scan reached the end of what is eligible
	)
	full := func() bool {
		return b.Count() >= e.opts.Tiering.SegmentRecords || b.Size() >= e.opts.Tiering.SegmentBytes || (want > 0 && packed >= want)
	}
	for !full() && !scanned {
		err := e.store.View(ctx, func(r kv.Reader) error {
			cands, next, done, err := e.tierCandidates(ctx, r, q, shard, resume, cutoff)
			if err != nil {
				return err
			}
			scanned = done
			keys := make([][]byte, len(cands))
			for i, c := range cands {
				keys[i] = messageKey(d, c.id)
			}
			recs, err := r.BatchGet(ctx, keys)
			if err != nil {
				return err
			}
			for i, c := range cands {
				v, ok := recs[string(keys[i])]
				if ok {
					rec, err := decodeMessage(v)
					if err != nil {
						return err
					}
					if rec.Cold == nil && rec.SentAt <= cutoff {
						items = append(items, tierItem{id: c.id, frame: b.Add(c.id, rec.coldPayload())})
						packed += rec.size()
						oldest = min(oldest, rec.SentAt)
					}
				}
				resume = c.next
				if full() {
					scanned = false
					return nil
				}
			}
			resume = next
			return nil
		})
		if err != nil {
			return 0, false, err
		}
	}
	// A pass that found little waits for more, unless it has waited long.
	until, wait := tiering.DeferSmall(b.Count(), b.Size(), e.opts.Tiering.SegmentRecords, e.opts.Tiering.SegmentBytes,
		oldest, cutoff, settings.HotWindowSeconds*1000, e.opts.Tiering.Interval.Milliseconds())
	if len(items) == 0 || (want == 0 && wait) {
		if len(items) == 0 {
			lease.resume = resume
		} else {
			out.deferTo(until)
		}
		return 0, false, e.tierLeases.save(ctx, d, shard, lease)
	}
	out.uploaded = true
	seg := segRef{shard: shard, id: uint64(now)<<16 | uint64(mrand.Uint32()&0xffff)}
	key := segmentBlobKey(d, seg)
	data := b.Finish()
	if err := e.putBlob(ctx, key, data); err != nil {
		return 0, false, err
	}
	if hook := e.opts.Tiering.afterUpload; hook != nil {
		if err := hook(key); err != nil {
			return 0, false, err
		}
	}
	cold, swappedAll, err := e.swapToSegment(ctx, d, seg, lease, items, resume)
	e.counts.addFromVisit(d, delta{cold: cold})
	if err != nil {
		// The object stays: a commit that reports an error may still have
		// committed (a cancelled or undetermined commit), and deleting the
		// object would lose the bodies. The orphan sweep removes it once
		// no segment record names it.
		return cold, false, fmt.Errorf("commit segment %s: %w", key, err)
	}
	if !swappedAll {
		e.log.Debug("tiering left messages other transactions held hot for the next pass", "segment", key)
	}
	return cold, !scanned, nil
}

func (e *Engine) putBlob(ctx context.Context, key string, data []byte) error {
	ctx, cancel := context.WithTimeout(ctx, 4*e.opts.Tiering.FetchTimeout)
	defer cancel()
	if err := e.cold.opts.Blobs.Put(ctx, key, data); err != nil {
		// Bodies stay hot; the next pass tries again.
		e.cold.failed.Add(1)
		return fmt.Errorf("upload segment %s: %w", key, err)
	}
	return nil
}

// tierCandidate is a message the scan found, and where a scan resumes
// after it.
type tierCandidate struct {
	id   msgID
	next []byte
}

// tierPage is how many index or order entries one read of a pass scans.
const tierPage = 512

// tierCandidates returns the next messages to consider in the shard, the
// key a later scan resumes from, and whether nothing eligible is left. A
// standard queue's come from its visibility index, oldest first, up to
// cutoff; a FIFO queue's from its order lists, wrapping around.
func (e *Engine) tierCandidates(ctx context.Context, r kv.Reader, q *queues.Record, shard uint8, resume []byte, cutoff int64) ([]tierCandidate, []byte, bool, error) {
	d := q.DID()
	if q.Attributes.FifoQueue {
		prefix := append(dataPrefix(d), "o/"...)
		start := resume
		if len(start) == 0 || !bytes.HasPrefix(start, prefix) {
			start = prefix
		}
		kvs, err := r.Scan(ctx, start, kv.PrefixEnd(prefix), tierPage)
		if err != nil {
			return nil, nil, false, err
		}
		cands := make([]tierCandidate, 0, len(kvs))
		for _, p := range kvs {
			// The sequence number is the key's last 8 bytes, after a group
			// id of any length; its high bits are the send time.
			o, ok := parseOrderEntry(p, len(p.Key)-8)
			if ok && int64(o.seq>>seqShift) <= cutoff {
				cands = append(cands, tierCandidate{id: o.id, next: append(bytes.Clone(p.Key), 0)})
			}
		}
		if len(kvs) < tierPage {
			return cands, nil, true, nil // wrap around next time
		}
		return cands, append(bytes.Clone(kvs[len(kvs)-1].Key), 0), false, nil
	}
	floor, err := e.floor(ctx, r, d, shard)
	if err != nil {
		return nil, nil, false, err
	}
	start := tierScanStart(d, shard, floor, resume)
	end := indexBound(d, shard, cutoff+1)
	if bytes.Compare(start, end) >= 0 {
		return nil, resume, true, nil
	}
	kvs, err := r.Scan(ctx, start, end, tierPage)
	if err != nil {
		return nil, nil, false, err
	}
	entries := indexEntries(kvs, len(shardPrefix(d, shard)))
	cands := make([]tierCandidate, len(entries))
	for i, en := range entries {
		cands[i] = tierCandidate{id: en.id, next: append(indexKey(d, shard, en.visibleAt, en.id), 0)}
	}
	next := start
	if len(kvs) > 0 {
		next = append(bytes.Clone(kvs[len(kvs)-1].Key), 0)
	}
	return cands, next, len(kvs) < tierPage, nil
}

// tierScanStart is where a tiering scan of the shard's index begins: the
// lease's resume key, when it is one of this shard's above the floor, else
// the floor.
func tierScanStart(d did, shard uint8, floor int64, resume []byte) []byte {
	start := indexBound(d, shard, floor)
	if bytes.HasPrefix(resume, shardPrefix(d, shard)) && bytes.Compare(resume, start) > 0 {
		return resume
	}
	return start
}

// segmentRecord is what the store keeps of a segment: how many messages it
// was written with; its dead markers count the gone ones.
type segmentRecord struct {
	records int64
}

func (s segmentRecord) encode() []byte { return binary.AppendUvarint([]byte{1}, uint64(s.records)) }

func decodeSegmentRecord(v []byte) (segmentRecord, error) {
	if len(v) == 0 || v[0] != 1 {
		return segmentRecord{}, errors.New("segment record: unknown format")
	}
	d := recordDecoder{b: v[1:]}
	s := segmentRecord{records: int64(d.uvarint())}
	return s, d.err
}
