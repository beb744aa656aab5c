package queues

import (
	"context"

	"github.com/sluice-mq/sluice/data-plane/sqserr"
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

// TieringOrDefault returns the queue's settings, the defaults until set.
func (q *Record) TieringOrDefault() TieringSettings {
	if q.Tiering == nil {
		return DefaultTiering()
	}
	return *q.Tiering
}

// Validate answers InvalidParameterValue for settings out of range.
func (s TieringSettings) Validate() error {
	if s.HotWindowSeconds < 0 || s.HotWindowSeconds > maxHotWindowSeconds {
		return sqserr.Errorf(sqserr.CodeInvalidParameterValue, "Value %d for parameter hotWindowSeconds is invalid. Reason: Must be between 0 and %d.", s.HotWindowSeconds, maxHotWindowSeconds)
	}
	if s.HotBytesBudget < 0 || s.HotBytesBudget > maxHotBytesBudget {
		return sqserr.Errorf(sqserr.CodeInvalidParameterValue, "Value %d for parameter hotBytesBudget is invalid. Reason: Must be between 0 and %d.", s.HotBytesBudget, int64(maxHotBytesBudget))
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

// SetTiering replaces the queue's tiering settings.
func (c *Catalog) SetTiering(ctx context.Context, ref Ref, s TieringSettings) error {
	_, err := c.PatchTiering(ctx, ref, TieringPatch{HotWindowSeconds: &s.HotWindowSeconds, HotBytesBudget: &s.HotBytesBudget})
	return err
}

// PatchTiering applies the patch to the queue's settings in one
// transaction, so concurrent patches of different fields both hold, and
// returns the result.
func (c *Catalog) PatchTiering(ctx context.Context, ref Ref, p TieringPatch) (TieringSettings, error) {
	var next TieringSettings
	err := c.update(ctx, ref, func(_ kv.Txn, q *Record) error {
		if err := c.patchTiering(q, p); err != nil {
			return err
		}
		next = q.TieringOrDefault()
		return nil
	})
	return next, err
}

// patchTiering applies p to q's settings.
func (c *Catalog) patchTiering(q *Record, p TieringPatch) error {
	next := p.Apply(q.TieringOrDefault())
	if err := next.Validate(); err != nil {
		return err
	}
	q.Tiering = &next
	q.LastModified = c.clock().Unix()
	return nil
}
