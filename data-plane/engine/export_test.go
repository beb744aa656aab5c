package engine

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/internal/kv"
)

// DescribeMessage reports a message's stored state, for failing tests.
func (e *Engine) DescribeMessage(ctx context.Context, ref queues.Ref, messageID string) string {
	raw, err := hex.DecodeString(strings.ReplaceAll(messageID, "-", ""))
	if err != nil || len(raw) != msgIDLen {
		return "bad id"
	}
	var id msgID
	copy(id[:], raw)
	var (
		out   string
		probe *did // the message's data range, when it has a record
	)
	_ = e.store.View(ctx, func(r kv.Reader) error {
		q, err := queues.Load(ctx, r, ref)
		if err != nil {
			out = err.Error()
			return nil
		}
		d := q.DID()
		rec, err := getMessage(ctx, r, d, id)
		if rec == nil {
			out = fmt.Sprintf("no record (%v)", err)
			return nil
		}
		_, ierr := r.Get(ctx, indexKey(d, rec.Shard, rec.VisibleAt, id))
		floor, _ := e.floors.get(d, rec.Shard)
		stored, _ := readCount(ctx, r, floorKey(d, rec.Shard))
		hint := e.floors.hintOf(d, rec.Shard)
		out = fmt.Sprintf("record shard=%d visibleAt=%d rc=%d gen=%d; index entry err=%v; floor=%d (visibleAt-floor=%d ms), stored floor=%d, hint=%+v; now=%d",
			rec.Shard, rec.VisibleAt, rec.ReceiveCount, rec.Gen, ierr, floor, rec.VisibleAt-floor, stored.n, hint, e.clock().UnixMilli())
		probe = &d
		if rec.Cold == nil {
			out += "; hot"
			return nil
		}
		// Where its body is: the segment record, a dead marker (which
		// would let the segment be retired under it) and the object.
		seg := rec.Cold.seg
		_, serr := r.Get(ctx, segmentKey(d, seg))
		_, derr := r.Get(ctx, deadKey(d, seg, id))
		out += fmt.Sprintf("; cold in segment %02x/%016x (record err=%v, dead marker err=%v)", seg.shard, seg.id, serr, derr)
		if e.cold != nil {
			key := segmentBlobKey(d, seg)
			_, oerr := e.cold.opts.Blobs.Stat(ctx, key)
			out += fmt.Sprintf(", object err=%v, cached=%v, cold stats %+v", oerr, e.cold.reader.Cached(key), e.ColdStats())
		}
		return nil
	})
	if probe != nil { // after the View: a probe is a transaction of its own
		out += "; " + e.lockProbe(ctx, *probe, id)
	}
	return out
}

// RaiseFloors moves every shard floor of the queue to at, as a floor
// computed from a snapshot that missed a late commit would be.
func (e *Engine) RaiseFloors(ctx context.Context, ref queues.Ref, at int64) {
	_ = e.store.View(ctx, func(r kv.Reader) error {
		rec, err := queues.Load(ctx, r, ref)
		if err != nil {
			return err
		}
		for shard := range uint8(e.opts.Shards) {
			_, _ = e.floor(ctx, r, rec.DID(), shard)
			e.floors.raise(rec.DID(), shard, at, false)
		}
		return nil
	})
}

// SetAfterUpload makes every segment upload run hook before its commit;
// an error from hook stands for a crash there.
func SetAfterUpload(o *TieringOptions, hook func(key string) error) { o.afterUpload = hook }

// RecordBytes describes how the queue's messages are stored: how many
// records are cold and hot, and the bytes of their records and index
// entries (keys plus values).
type RecordBytes struct {
	Cold, Hot    int
	RecordBytes  int64 // message keys and values
	IndexBytes   int64 // visibility index keys and values
	ColdOverhead int64 // record bytes of cold messages alone
}

func (e *Engine) RecordBytes(ctx context.Context, ref queues.Ref) (RecordBytes, error) {
	var (
		out RecordBytes
		q   *queues.Record
	)
	err := e.store.View(ctx, func(r kv.Reader) (err error) {
		q, err = queues.Load(ctx, r, ref)
		return err
	})
	if err != nil {
		return out, err
	}
	d := q.DID()
	err = e.forEachKey(ctx, append(dataPrefix(d), "m/"...), func(p kv.KV) error {
		rec, err := decodeMessage(p.Value)
		if err != nil {
			return err
		}
		n := int64(len(p.Key) + len(p.Value))
		out.RecordBytes += n
		if rec.Cold != nil {
			out.Cold++
			out.ColdOverhead += n
		} else {
			out.Hot++
		}
		return nil
	})
	if err != nil {
		return out, err
	}
	err = e.forEachKey(ctx, append(dataPrefix(d), "v/"...), func(p kv.KV) error {
		out.IndexBytes += int64(len(p.Key) + len(p.Value))
		return nil
	})
	return out, err
}

// hintOf returns the shard's scan hint, for DescribeMessage.
func (f *floorCache) hintOf(d did, shard uint8) scanHint {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hints[floorKeyT{d, shard}]
}

var errProbeDone = errors.New("probe done")

// lockProbe reports whether a receive could lock the message now: one
// locked elsewhere is skipped by every claim until that lock goes.
func (e *Engine) lockProbe(ctx context.Context, d did, id msgID) string {
	var got int
	start := time.Now()
	err := e.store.Update(ctx, func(tx kv.Txn) error {
		locked, err := tx.LockSkip(ctx, [][]byte{messageKey(d, id)})
		if err != nil {
			return err
		}
		got = len(locked)
		return errProbeDone // roll back: the probe changes nothing
	})
	if !errors.Is(err, errProbeDone) {
		return fmt.Sprintf("lock probe failed: %v", err)
	}
	return fmt.Sprintf("lockable=%v (probe %v)", got == 1, time.Since(start).Round(time.Millisecond))
}

// MessageStored reports whether the queue still holds the message's
// record: a test that missed a message tells a lost one from one that is
// stored but was not delivered.
func (e *Engine) MessageStored(ctx context.Context, ref queues.Ref, messageID string) (bool, error) {
	raw, err := hex.DecodeString(strings.ReplaceAll(messageID, "-", ""))
	if err != nil || len(raw) != msgIDLen {
		return false, fmt.Errorf("bad message id %q", messageID)
	}
	var (
		id     msgID
		stored bool
	)
	copy(id[:], raw)
	err = e.store.View(ctx, func(r kv.Reader) error {
		q, err := queues.Load(ctx, r, ref)
		if err != nil {
			return err
		}
		rec, err := getMessage(ctx, r, q.DID(), id)
		stored = rec != nil
		return err
	})
	return stored, err
}

// StoredMessageIDs returns the ids of the queue's message records, for a
// test that finds messages left over.
func (e *Engine) StoredMessageIDs(ctx context.Context, ref queues.Ref) ([]string, error) {
	var q *queues.Record
	err := e.store.View(ctx, func(r kv.Reader) (err error) {
		q, err = queues.Load(ctx, r, ref)
		return err
	})
	if err != nil {
		return nil, err
	}
	prefix := append(dataPrefix(q.DID()), "m/"...)
	var ids []string
	err = e.forEachKey(ctx, prefix, func(p kv.KV) error {
		var id msgID
		copy(id[:], p.Key[len(p.Key)-msgIDLen:])
		ids = append(ids, formatMessageID(id))
		return nil
	})
	return ids, err
}

// HoldMessage locks the message's record the way a receive does, in a
// transaction that stays open until release is called, for a test of what
// skips held records.
func (e *Engine) HoldMessage(ctx context.Context, ref queues.Ref, messageID string) (release func(), err error) {
	raw, err := hex.DecodeString(strings.ReplaceAll(messageID, "-", ""))
	if err != nil || len(raw) != msgIDLen {
		return nil, fmt.Errorf("bad message id %q", messageID)
	}
	var id msgID
	copy(id[:], raw)
	held, done := make(chan error, 1), make(chan struct{})
	go func() {
		err := e.store.Update(ctx, func(tx kv.Txn) error {
			q, err := queues.Load(ctx, tx, ref)
			if err != nil {
				return err
			}
			locked, err := tx.LockSkip(ctx, [][]byte{messageKey(q.DID(), id)})
			if err == nil && len(locked) != 1 {
				err = fmt.Errorf("message %s not lockable", messageID)
			}
			if err != nil {
				return err
			}
			held <- nil
			<-done
			return errProbeDone // roll back: holding changes nothing
		})
		if !errors.Is(err, errProbeDone) {
			held <- err
		}
	}()
	if err := <-held; err != nil {
		return nil, err
	}
	return sync.OnceFunc(func() { close(done) }), nil
}

// WriteGuardLow is the oldest clock reading an Update of this engine still
// holds against scan hints, or MaxInt64 when none does.
func (e *Engine) WriteGuardLow() int64 { return e.guard.low() }
