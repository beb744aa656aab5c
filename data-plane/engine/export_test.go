package engine

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"

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
	var out string
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
		out = fmt.Sprintf("record shard=%d visibleAt=%d rc=%d gen=%d; index entry err=%v; floor=%d (visibleAt-floor=%d ms); now=%d",
			rec.Shard, rec.VisibleAt, rec.ReceiveCount, rec.Gen, ierr, floor, rec.VisibleAt-floor, e.clock().UnixMilli())
		return nil
	})
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
