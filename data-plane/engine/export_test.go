package engine

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/sluice-mq/sluice/internal/kv"
)

// DescribeMessage reports a message's stored state, for failing tests.
func (e *Engine) DescribeMessage(ctx context.Context, ref QueueRef, messageID string) string {
	raw, err := hex.DecodeString(strings.ReplaceAll(messageID, "-", ""))
	if err != nil || len(raw) != msgIDLen {
		return "bad id"
	}
	var id msgID
	copy(id[:], raw)
	var out string
	_ = e.store.View(ctx, func(r kv.Reader) error {
		q, err := loadQueue(ctx, r, ref)
		if err != nil {
			out = err.Error()
			return nil
		}
		d := q.did()
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
func (e *Engine) RaiseFloors(ctx context.Context, ref QueueRef, at int64) {
	_ = e.store.View(ctx, func(r kv.Reader) error {
		rec, err := loadQueue(ctx, r, ref)
		if err != nil {
			return err
		}
		for shard := range uint8(e.opts.Shards) {
			_, _ = e.floor(ctx, r, rec.did(), shard)
			e.floors.raise(rec.did(), shard, at, false)
		}
		return nil
	})
}
