package engine

import (
	"context"

	"github.com/sluice-mq/sluice/internal/kv"
)

// TieringSettings are a queue's cold-tier settings, set through the
// control plane (they are not SQS attributes). A message's body goes cold
// once the message is older than the hot window, or sooner while the
// queue's hot bytes are over the budget, oldest first.
type TieringSettings struct {
	HotWindowSeconds int64 `json:"hotWindowSeconds"`
	HotBytesBudget   int64 `json:"hotBytesBudget"`
}

// Defaults and limits of the tiering settings. Five minutes keeps every
// consumer that keeps up on hot bodies; 64 MiB of hot bodies per queue
// bounds what a backlog costs the store.
const (
	DefaultHotWindowSeconds = 300
	DefaultHotBytesBudget   = 64 << 20
	maxHotWindowSeconds     = 14 * 24 * 3600 // the longest retention
	maxHotBytesBudget       = 1 << 40
)

// DefaultTiering returns the settings a queue has until they are set.
func DefaultTiering() TieringSettings {
	return TieringSettings{HotWindowSeconds: DefaultHotWindowSeconds, HotBytesBudget: DefaultHotBytesBudget}
}

func (q *queueRecord) tiering() TieringSettings {
	if q.Tiering == nil {
		return DefaultTiering()
	}
	return *q.Tiering
}

// Validate answers InvalidParameterValue for settings out of range.
func (s TieringSettings) Validate() error {
	if s.HotWindowSeconds < 0 || s.HotWindowSeconds > maxHotWindowSeconds {
		return errorf(CodeInvalidParameterValue, "Value %d for parameter hotWindowSeconds is invalid. Reason: Must be between 0 and %d.", s.HotWindowSeconds, maxHotWindowSeconds)
	}
	if s.HotBytesBudget < 0 || s.HotBytesBudget > maxHotBytesBudget {
		return errorf(CodeInvalidParameterValue, "Value %d for parameter hotBytesBudget is invalid. Reason: Must be between 0 and %d.", s.HotBytesBudget, int64(maxHotBytesBudget))
	}
	return nil
}

// TieringPatch changes the settings it names and keeps the others.
type TieringPatch struct {
	HotWindowSeconds *int64 `json:"hotWindowSeconds"`
	HotBytesBudget   *int64 `json:"hotBytesBudget"`
}

// Apply returns s with the patch's fields.
func (p TieringPatch) Apply(s TieringSettings) TieringSettings {
	if p.HotWindowSeconds != nil {
		s.HotWindowSeconds = *p.HotWindowSeconds
	}
	if p.HotBytesBudget != nil {
		s.HotBytesBudget = *p.HotBytesBudget
	}
	return s
}

// SetQueueTiering replaces the queue's tiering settings.
func (e *Engine) SetQueueTiering(ctx context.Context, ref QueueRef, s TieringSettings) error {
	_, err := e.PatchQueueTiering(ctx, ref, TieringPatch{HotWindowSeconds: &s.HotWindowSeconds, HotBytesBudget: &s.HotBytesBudget})
	return err
}

// PatchQueueTiering applies the patch to the queue's settings in one
// transaction, so concurrent patches of different fields both hold, and
// returns the result.
func (e *Engine) PatchQueueTiering(ctx context.Context, ref QueueRef, p TieringPatch) (TieringSettings, error) {
	var next TieringSettings
	err := e.store.Update(ctx, func(tx kv.Txn) error {
		q, err := loadQueue(ctx, tx, ref)
		if err != nil {
			return err
		}
		if err := e.patchTiering(tx, ref, q, p); err != nil {
			return err
		}
		next = q.tiering()
		return nil
	})
	return next, err
}

// patchTiering applies p to q's settings and saves q in tx.
func (e *Engine) patchTiering(tx kv.Txn, ref QueueRef, q *queueRecord, p TieringPatch) error {
	next := p.Apply(q.tiering())
	if err := next.Validate(); err != nil {
		return err
	}
	q.Tiering = &next
	q.LastModified = e.clock().Unix()
	return saveQueue(tx, ref, q)
}

// QueueStorage is what a queue keeps, and where.
type QueueStorage struct {
	Messages  int64 // about how many
	HotBytes  int64 // bodies and attributes in the store
	ColdBytes int64 // bodies and attributes in segments on the blob store
	Segments  int64 // segment objects on the blob store
}

// QueueStorage returns the queue's stored messages and bytes, hot and
// cold, as far as every node has flushed its counts (about a second).
func (e *Engine) QueueStorage(ctx context.Context, ref QueueRef) (QueueStorage, error) {
	var out QueueStorage
	err := e.store.View(ctx, func(r kv.Reader) error {
		q, err := e.readQueue(ctx, r, ref)
		if err != nil {
			return err
		}
		d := q.did()
		stored, err := storedCount(ctx, r, d)
		if err != nil {
			return err
		}
		stored = stored.plus(e.counts.pending(d))
		out = QueueStorage{Messages: max(stored.n, 0), HotBytes: max(stored.hot(), 0), ColdBytes: max(stored.cold, 0)}
		prefix := segmentPrefix(d)
		segs, err := r.Scan(ctx, prefix, prefixEnd(prefix), 0)
		out.Segments = int64(len(segs))
		return err
	})
	return out, err
}
