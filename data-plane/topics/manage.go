package topics

import (
	"context"
	"fmt"
	"maps"

	"github.com/sluice-mq/sluice/internal/kv"
)

// Change is what the control plane's topic update applies at once: set
// attributes ("" removes one), add or replace tags, remove tags.
type Change struct {
	Attributes map[string]string
	Tags       map[string]string
	RemoveTags []string
}

// Update applies a change to a topic in one transaction: every attribute
// is checked as SetTopicAttributes checks it, and the tags as
// TagResource, before anything is written.
func (c *Catalog) Update(ctx context.Context, ref Ref, ch Change) error {
	for name, value := range ch.Attributes {
		if err := checkTopicAttribute(ref, name, value, false); err != nil {
			return err
		}
	}
	return c.update(ctx, ref, func(t *Topic) error {
		attrs := maps.Clone(t.Attributes)
		if attrs == nil {
			attrs = map[string]string{}
		}
		for name, value := range ch.Attributes {
			if value == "" {
				delete(attrs, name)
			} else {
				attrs[name] = value
			}
		}
		tags := maps.Clone(t.Tags)
		if tags == nil {
			tags = map[string]string{}
		}
		maps.Copy(tags, ch.Tags)
		for _, k := range ch.RemoveTags {
			delete(tags, k)
		}
		if err := validateTags(tags); err != nil {
			return err
		}
		t.Attributes, t.Tags = attrs, tags
		return nil
	})
}

// UpdateSubscription sets several subscription attributes ("" removes
// one) in one transaction, checked together as SetSubscriptionAttribute
// checks each.
func (c *Catalog) UpdateSubscription(ctx context.Context, ref SubRef, attrs map[string]string) error {
	for name := range attrs {
		if !knownSubscriptionAttribute(name) {
			return invalidParameter("AttributeName")
		}
	}
	return c.store.Update(ctx, func(tx kv.Txn) error {
		s, err := readSub(ctx, tx, ref)
		if err != nil {
			return err
		}
		merged := maps.Clone(s.Attributes)
		if merged == nil {
			merged = map[string]string{}
		}
		for name, value := range attrs {
			if value == "" {
				delete(merged, name)
			} else {
				merged[name] = normalizeSubscriptionAttribute(name, value)
			}
		}
		if err := checkSubscriptionAttributes(merged); err != nil {
			return err
		}
		if err := checkPushAttributes(ref.Topic, merged); err != nil {
			return err
		}
		// The signing secret lives in the push record, as
		// SetSubscriptionAttribute keeps it.
		if secret, ok := attrs["SigningSecret"]; ok {
			if s.Push == nil || secret == "" {
				return invalidParameter("AttributeName")
			}
			s.Push.Secret = secret
			delete(merged, "SigningSecret")
		}
		s.Attributes = merged
		return writeSub(tx, s)
	})
}

// DeleteAccount deletes every topic, subscription, push registry entry
// and FIFO record of an account, in every region, a bounded batch per
// transaction (a deleted tenant's, whose push queues went with its
// queues; its account id may be given to a new tenant later, which must
// find nothing).
func (c *Catalog) DeleteAccount(ctx context.Context, account string) error {
	const batch = 1000
	for _, kind := range []string{"t", "s", "h", "d", "g", "e"} {
		prefix := []byte("T/" + kind + "/" + account + "/")
		for {
			n := 0
			err := c.store.Update(ctx, func(tx kv.Txn) error {
				kvs, err := tx.Scan(ctx, prefix, kv.PrefixEnd(prefix), batch)
				if err != nil {
					return err
				}
				n = len(kvs)
				for _, e := range kvs {
					if err := tx.Delete(e.Key); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("delete topics of %s: %w", account, err)
			}
			if n < batch {
				break
			}
		}
	}
	return c.store.Update(ctx, func(tx kv.Txn) error { return tx.Delete(countKey(account)) })
}
