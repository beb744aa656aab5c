package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/internal/kv"
)

// Background work — tiering, expiry, segment collection, stray rescue —
// visits only queues that have some, found through a small due index
// instead of a walk over every queue:
//
//	W/{due ms BE}{did}   the queue is due for a visit at that time
//	Q/{did}/w            its due time (so a queue has one W entry at most)
//	Q/{did}/q            its queue key, so a visitor finds the record
//
// A node marks the queues its calls changed (counts.touched) due at once,
// at its next flush or pass, in transactions of their own: message
// transactions never touch the index. A visit first claims the entry
// (moves it to now + claimTTL, so other nodes skip it and a crashed
// visitor's queue comes back), does the queue's work, then reads what is
// left and moves the entry to when the next work falls due — the first
// message's expiry, the first hot body's hot window, pending segment
// deletions, an orphan sweep after an upload — or removes it when nothing
// is left. An idle queue therefore costs nothing between its events.
// A rescan of every queue record every rescanInterval, read-only but for
// queues with work and no entry, is the safety net for marks a crash lost
// and for stores written before the index existed.

const (
	// claimTTL is how long a claimed visit keeps other nodes off.
	claimTTL = 2 * 60 * 1000 // ms
	// rescanInterval is how often a node checks that every queue with
	// messages has a due entry.
	rescanInterval = 5 * 60 * 1000 // ms
	// dueBatch bounds the entries one pass visits and one mark
	// transaction writes.
	dueBatch = 256
)

var duePrefix = []byte("W/")

func dueKey(at int64, d did) []byte {
	k := binary.BigEndian.AppendUint64(append([]byte(nil), duePrefix...), uint64(max(at, 0)))
	return append(k, d[:]...)
}

func duePointerKey(d did) []byte { return append(dataPrefix(d), "w"...) }

func readDue(ctx context.Context, r kv.Reader, d did) (int64, bool, error) {
	v, err := r.Get(ctx, duePointerKey(d))
	if isNotFound(err) {
		return 0, false, nil
	}
	if err != nil || len(v) != 8 {
		return 0, false, errors.Join(err, fmt.Errorf("due time of %x: %d bytes", d, len(v)))
	}
	return int64(binary.BigEndian.Uint64(v)), true, nil
}

// setDue moves d's entry to at; ok=false removes it.
func setDue(ctx context.Context, tx kv.Txn, d did, at int64, ok bool) error {
	cur, has, err := readDue(ctx, tx, d)
	if err != nil {
		return err
	}
	if has {
		if ok && cur == at {
			return nil
		}
		if err := tx.Delete(dueKey(cur, d)); err != nil {
			return err
		}
	}
	if !ok {
		if !has {
			return nil
		}
		return tx.Delete(duePointerKey(d))
	}
	if err := tx.Set(dueKey(at, d), present); err != nil {
		return err
	}
	return tx.Set(duePointerKey(d), binary.BigEndian.AppendUint64(nil, uint64(at)))
}

// markDue makes d due no later than at.
func markDue(ctx context.Context, tx kv.Txn, d did, at int64) error {
	cur, has, err := readDue(ctx, tx, d)
	if err != nil || (has && cur <= at) {
		return err
	}
	return setDue(ctx, tx, d, at, true)
}

// markTouched marks the queues this node's calls changed since the last
// time due, in transactions of up to dueBatch queues.
func (e *Engine) markTouched(ctx context.Context) error {
	touched := e.counts.takeTouched()
	ids := make([]did, 0, len(touched))
	for d := range touched {
		ids = append(ids, d)
	}
	for len(ids) > 0 {
		n := min(len(ids), dueBatch)
		batch := ids[:n]
		err := e.store.Update(ctx, func(tx kv.Txn) error {
			for _, d := range batch {
				if err := markDue(ctx, tx, d, touched[d]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			for _, d := range ids {
				e.counts.touch(d, touched[d]) // for the next try
			}
			return fmt.Errorf("mark queues due: %w", err)
		}
		ids = ids[n:]
	}
	return nil
}

// visitDue runs the background work of every queue due when the pass
// begins, each at most once: a backlog rescheduled at once waits for the
// next pass rather than keeping this one going.
func (e *Engine) visitDue(ctx context.Context) error {
	e.visiting.Lock()
	defer e.visiting.Unlock()
	if err := e.rescanIfDue(ctx); err != nil {
		return err
	}
	if err := e.markTouched(ctx); err != nil {
		return err
	}
	var (
		errs    []error
		now     = e.clock().UnixMilli()
		start   = duePrefix
		visited = map[did]bool{}
	)
	for {
		var due []kv.KV
		err := e.store.View(ctx, func(r kv.Reader) (err error) {
			due, err = r.Scan(ctx, start, dueKey(now+1, did{}), dueBatch)
			return err
		})
		if err != nil {
			return errors.Join(append(errs, err)...)
		}
		for _, p := range due {
			if len(p.Key) != len(duePrefix)+8+didLen {
				continue
			}
			at := int64(binary.BigEndian.Uint64(p.Key[len(duePrefix):]))
			var d did
			copy(d[:], p.Key[len(duePrefix)+8:])
			if visited[d] {
				continue
			}
			visited[d] = true
			if err := e.visit(ctx, d, at); err != nil {
				errs = append(errs, fmt.Errorf("visit queue data %x: %w", d, err))
			}
			if ctx.Err() != nil {
				return errors.Join(append(errs, ctx.Err())...)
			}
		}
		if len(due) < dueBatch {
			return errors.Join(errs...)
		}
		start = append(bytes.Clone(due[len(due)-1].Key), 0)
	}
}

// visit claims d's due entry, does the queue's work and reschedules it.
func (e *Engine) visit(ctx context.Context, d did, at int64) error {
	q, claimed, err := e.claimVisit(ctx, d, at)
	if err != nil || q == nil {
		return err
	}
	var out tierOutcome
	var errs []error
	if e.cold != nil {
		out, err = e.tierQueue(ctx, q)
		errs = append(errs, err)
	}
	errs = append(errs, e.sweepQueue(ctx, q))
	next, ok, err := e.nextVisit(ctx, q, out)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	if errors.Join(errs...) != nil {
		// Failed work is tried again at the next pass.
		retry := e.clock().UnixMilli() + e.passInterval().Milliseconds()
		if !ok || retry < next {
			next = retry
		}
		ok = true
	}
	err = e.store.Update(ctx, func(tx kv.Txn) error {
		cur, has, err := readDue(ctx, tx, d)
		if err != nil {
			return err
		}
		if has && cur != claimed {
			// Marked due meanwhile: keep the sooner time.
			if ok && next < cur {
				return setDue(ctx, tx, d, next, true)
			}
			return nil
		}
		return setDue(ctx, tx, d, next, ok)
	})
	return errors.Join(append(errs, err)...)
}

// claimVisit moves d's entry, still at at, to now + claimTTL and returns
// its queue; nil when the entry moved on, or its queue is gone (the entry
// is then dropped).
func (e *Engine) claimVisit(ctx context.Context, d did, at int64) (*queues.Record, int64, error) {
	var (
		q       *queues.Record
		claimed int64
	)
	err := e.store.Update(ctx, func(tx kv.Txn) error {
		q = nil
		cur, has, err := readDue(ctx, tx, d)
		if err != nil {
			return err
		}
		if !has || cur != at {
			// Moved on since the scan (the delete is then a no-op), or
			// stale: the queue's data was swept with its pointer.
			return tx.Delete(dueKey(at, d))
		}
		name, err := tx.Get(ctx, queues.NameKey(d))
		if isNotFound(err) {
			return setDue(ctx, tx, d, 0, false)
		}
		if err != nil {
			return err
		}
		ref, ok := queues.ParseKey(name)
		if !ok {
			return setDue(ctx, tx, d, 0, false)
		}
		rec, err := queues.Load(ctx, tx, ref)
		if errors.Is(err, sqserr.ErrQueueDoesNotExist) || (err == nil && !bytes.Equal(rec.DataID, d[:])) {
			return setDue(ctx, tx, d, 0, false) // deleted or purged: the sweeper takes the data
		}
		if err != nil {
			return err
		}
		claimed = e.clock().UnixMilli() + claimTTL
		q = rec
		return setDue(ctx, tx, d, claimed, true)
	})
	return q, claimed, err
}

// passInterval is how often this node's passes run: the tiering interval
// with a cold tier, else the sweep interval.
func (e *Engine) passInterval() time.Duration {
	if e.cold != nil {
		return min(e.opts.Tiering.Interval, e.opts.SweepInterval)
	}
	return e.opts.SweepInterval
}

// nextVisit reads what is left of q's work and returns when the next of
// it falls due; ok=false when nothing is left.
func (e *Engine) nextVisit(ctx context.Context, q *queues.Record, out tierOutcome) (next int64, ok bool, err error) {
	d := q.DID()
	now := e.clock().UnixMilli()
	consider := func(at int64) {
		if !ok || at < next {
			next, ok = at, true
		}
	}
	retention := int64(q.Attributes.MessageRetentionPeriod) * 1000
	err = e.store.View(ctx, func(r kv.Reader) error {
		// The first index entry of each shard: when the oldest message
		// expires, and, with a cold tier, when the first body not yet
		// looked at leaves the hot window.
		var hot bool
		if e.cold != nil {
			stored, err := storedCount(ctx, r, d)
			if err != nil {
				return err
			}
			hot = stored.plus(e.counts.pending(d)).hot() > 0
		}
		window := q.TieringOrDefault().HotWindowSeconds * 1000
		for shard := range uint8(e.opts.Shards) {
			floor, err := e.floor(ctx, r, d, shard)
			if err != nil {
				return err
			}
			first, err := r.Scan(ctx, indexBound(d, shard, floor), kv.PrefixEnd(shardPrefix(d, shard)), 1)
			if err != nil {
				return err
			}
			if len(first) == 0 {
				continue
			}
			en := indexEntries(first, len(shardPrefix(d, shard)))[0]
			consider(en.visibleAt + retention)
			if !hot || q.Attributes.FifoQueue {
				continue
			}
			lease, err := readLease(ctx, r, d, shard)
			if err != nil {
				return err
			}
			start := tierScanStart(d, shard, floor, lease.resume)
			pending, err := r.Scan(ctx, start, kv.PrefixEnd(shardPrefix(d, shard)), 1)
			if err != nil {
				return err
			}
			if len(pending) > 0 {
				consider(indexEntries(pending, len(shardPrefix(d, shard)))[0].visibleAt + window)
			}
		}
		if hot && q.Attributes.FifoQueue {
			// Order lists are by group, not time: look again a few times
			// a window.
			consider(now + max(window/4, e.passInterval().Milliseconds()))
		}
		if out.over {
			consider(now)
		}
		if out.deferUntil > 0 {
			consider(out.deferUntil)
		}
		if out.compacting {
			consider(now) // at the next pass, by the rule below
		}
		if out.uploaded && e.cold != nil {
			// Its orphan sweep, once an upload whose commit failed would
			// be old enough to remove.
			consider(now + e.opts.Tiering.OrphanAge.Milliseconds() + e.passInterval().Milliseconds())
		}
		for _, prefix := range [][]byte{expiryPrefix(d), blobDeletePrefix(d)} {
			first, err := r.Scan(ctx, prefix, kv.PrefixEnd(prefix), 1)
			if err != nil {
				return err
			}
			if len(first) > 0 && len(first[0].Key) >= len(prefix)+8 {
				consider(int64(binary.BigEndian.Uint64(first[0].Key[len(prefix):])))
			}
		}
		return nil
	})
	if ok {
		// Never sooner than the next pass, so no entry spins; a backlog
		// (over budget, or more than a pass may roll) is due at once and
		// goes on at the next pass, whenever that runs.
		soonest := now + e.passInterval().Milliseconds()
		if out.over {
			soonest = now
		}
		next = max(next, soonest)
	}
	return next, ok, err
}

// rescanIfDue, every rescanInterval, gives every queue that holds
// messages, FIFO deduplication records or segments to delete, but has no
// due entry, one due now; and writes the queue key of queues created
// before the index existed.
func (e *Engine) rescanIfDue(ctx context.Context) error {
	now := e.clock().UnixMilli()
	if e.lastRescan.Load() != 0 && now-e.lastRescan.Load() < rescanInterval {
		return nil
	}
	err := e.forEachPage(ctx, queues.RecordsPrefix(), func(page []kv.KV) error {
		type found struct {
			d    did
			name []byte
			work bool
		}
		var (
			fix   []found
			keys  = make([][]byte, 0, 2*len(page))
			ids   = make([]did, 0, len(page))
			names = make([][]byte, 0, len(page))
		)
		for _, p := range page {
			var rec queues.Record
			if json.Unmarshal(p.Value, &rec) != nil {
				continue
			}
			d := rec.DID()
			ids, names = append(ids, d), append(names, p.Key)
			keys = append(keys, duePointerKey(d), queues.NameKey(d))
		}
		err := e.store.View(ctx, func(r kv.Reader) error {
			got, err := r.BatchGet(ctx, keys)
			if err != nil {
				return err
			}
			for i, d := range ids {
				_, hasDue := got[string(duePointerKey(d))]
				_, hasName := got[string(queues.NameKey(d))]
				if hasDue && hasName {
					continue
				}
				work := false
				if !hasDue {
					for _, prefix := range [][]byte{append(dataPrefix(d), 'v', '/'), expiryPrefix(d), blobDeletePrefix(d)} {
						first, err := r.Scan(ctx, prefix, kv.PrefixEnd(prefix), 1)
						if err != nil {
							return err
						}
						work = work || len(first) > 0
					}
				}
				if work || !hasName {
					fix = append(fix, found{d: d, name: names[i], work: work})
				}
			}
			return nil
		})
		if err != nil || len(fix) == 0 {
			return err
		}
		return e.store.Update(ctx, func(tx kv.Txn) error {
			for _, f := range fix {
				if err := tx.Set(queues.NameKey(f.d), f.name); err != nil {
					return err
				}
				if !f.work {
					continue
				}
				if err := markDue(ctx, tx, f.d, now); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("rescan queues for background work: %w", err)
	}
	e.lastRescan.Store(now)
	return nil
}
