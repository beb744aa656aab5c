package queues

import (
	"context"

	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/internal/kv"
)

// SetAttributes validates every attribute, then applies all of them.
func (c *Catalog) SetAttributes(ctx context.Context, ref Ref, attrs map[string]string) error {
	if len(attrs) == 0 {
		return sqserr.Errorf(sqserr.CodeMissingParameter, "The request must contain the parameter Attribute.Name.")
	}
	return c.update(ctx, ref, func(tx kv.Txn, q *Record) error {
		return c.setAttributes(ctx, tx, ref, q, attrs)
	})
}

// setAttributes applies attrs to q, checking a redrive target in tx.
func (c *Catalog) setAttributes(ctx context.Context, tx kv.Txn, ref Ref, q *Record, attrs map[string]string) error {
	next, err := q.Attributes.apply(attrs)
	if err != nil {
		return err
	}
	if err := next.checkQueueType(ref.Name, attrs, false); err != nil {
		return err
	}
	if _, ok := attrs[AttrRedrivePolicy]; ok {
		if err := c.checkRedrive(ctx, tx, ref, next); err != nil {
			return err
		}
	}
	q.Attributes = next
	q.LastModified = c.clock().Unix()
	return nil
}

// Tag adds or replaces tags.
func (c *Catalog) Tag(ctx context.Context, ref Ref, tags map[string]string) error {
	if len(tags) == 0 {
		return errNoTags("Tags")
	}
	return c.update(ctx, ref, func(_ kv.Txn, q *Record) error { return addTags(q, tags) })
}

// Untag removes tags; missing keys are ignored.
func (c *Catalog) Untag(ctx context.Context, ref Ref, keys []string) error {
	if len(keys) == 0 {
		return errNoTags("TagKeys")
	}
	return c.update(ctx, ref, func(_ kv.Txn, q *Record) error {
		removeTags(q, keys)
		return nil
	})
}

// Change is everything one update of a queue may change; a nil or empty
// field changes nothing.
type Change struct {
	Attributes map[string]string
	Tags       map[string]string // added or replaced
	RemoveTags []string          // removed, after Tags are added
	Tiering    *TieringPatch
}

// Update applies every part of the change in one transaction: all of it
// holds, or none of it when any part is invalid.
func (c *Catalog) Update(ctx context.Context, ref Ref, ch Change) error {
	return c.update(ctx, ref, func(tx kv.Txn, q *Record) error {
		if len(ch.Attributes) > 0 {
			if err := c.setAttributes(ctx, tx, ref, q, ch.Attributes); err != nil {
				return err
			}
		}
		if len(ch.Tags) > 0 {
			if err := addTags(q, ch.Tags); err != nil {
				return err
			}
		}
		removeTags(q, ch.RemoveTags)
		if ch.Tiering != nil {
			return c.patchTiering(q, *ch.Tiering)
		}
		return nil
	})
}

// update loads the queue's record, lets edit change it and saves it, in
// one transaction.
func (c *Catalog) update(ctx context.Context, ref Ref, edit func(kv.Txn, *Record) error) error {
	return c.store.Update(ctx, func(tx kv.Txn) error {
		q, err := Load(ctx, tx, ref)
		if err != nil {
			return err
		}
		if err := edit(tx, q); err != nil {
			return err
		}
		return save(tx, ref, q)
	})
}
