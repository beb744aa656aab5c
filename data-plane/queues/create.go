package queues

import (
	"context"
	"encoding/json"
	"errors"
	"maps"

	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/internal/kv"
)

// NewQueue is what creating a queue takes besides its name.
type NewQueue struct {
	Attributes map[string]string
	Tags       map[string]string
	// Tiering patches the default cold-tier settings of a new queue, or
	// the settings of an existing one, as a PATCH of the queue would.
	Tiering *TieringPatch
	// Admit decides whether the account may have one more queue, given
	// how many it has in every region; its error refuses the create. It
	// is called inside the create transaction, on the count that
	// transaction then raises, so a quota it enforces is exact under
	// concurrent creates. Not called for an existing queue, since creating
	// is idempotent. Nil admits every queue.
	Admit func(queuesInAccount int64) error
}

func checkName(name string) error {
	if !validQueueName(name) {
		return sqserr.Errorf(sqserr.CodeInvalidParameterValue, "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	return nil
}

// Create creates the queue, or returns the existing one when every given
// attribute matches it, as SQS does; a different value gives
// QueueAlreadyExists.
func (c *Catalog) Create(ctx context.Context, ref Ref, attrs, tags map[string]string) (*Queue, error) {
	return c.CreateWith(ctx, ref, NewQueue{Attributes: attrs, Tags: tags})
}

// CreateWith is Create with tiering settings and an admission check, all
// decided in the one transaction that creates the queue.
func (c *Catalog) CreateWith(ctx context.Context, ref Ref, in NewQueue) (*Queue, error) {
	if err := checkName(ref.Name); err != nil {
		return nil, err
	}
	attrs := in.Attributes
	want, err := defaultAttributes().apply(attrs)
	if err != nil {
		return nil, err
	}
	if err := want.checkQueueType(ref.Name, attrs, true); err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	if in.Tiering != nil {
		if err := in.Tiering.Apply(DefaultTiering()).Validate(); err != nil {
			return nil, err
		}
	}
	var out *Queue
	err = c.store.Update(ctx, func(tx kv.Txn) error {
		existing, err := Load(ctx, tx, ref)
		switch {
		case err == nil:
			for name, v := range want.Strings() {
				if _, given := attrs[name]; given && existing.Attributes.Strings()[name] != v {
					return sqserr.Errorf(sqserr.CodeQueueAlreadyExists, "A queue already exists with the same name and a different value for attribute %s", name)
				}
			}
			if in.Tiering != nil {
				if err := c.patchTiering(existing, *in.Tiering); err != nil {
					return err
				}
				if err := save(tx, ref, existing); err != nil {
					return err
				}
			}
			out = existing.Queue(ref)
			return nil
		case !errors.Is(err, sqserr.ErrQueueDoesNotExist):
			return err
		}
		if err := c.checkNotDeletedRecently(ctx, tx, ref); err != nil {
			return err
		}
		if err := c.checkRedrive(ctx, tx, ref, want); err != nil {
			return err
		}
		if !ref.Internal() {
			if err := admitQueue(ctx, tx, ref.Account, in.Admit); err != nil {
				return err
			}
		}
		now := c.clock().Unix()
		d := newDataID()
		q := &Record{DataID: d[:], Attributes: want, Tags: maps.Clone(in.Tags), CreatedAt: now, LastModified: now}
		if in.Tiering != nil {
			s := in.Tiering.Apply(DefaultTiering())
			q.Tiering = &s
		}
		out = q.Queue(ref)
		if err := tx.Set(NameKey(d), recordKey(ref)); err != nil {
			return err
		}
		return save(tx, ref, q)
	})
	return out, err
}

func (c *Catalog) checkNotDeletedRecently(ctx context.Context, tx kv.Txn, ref Ref) error {
	v, err := tx.Get(ctx, deletedKey(ref))
	if errors.Is(err, kv.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var deletedAt int64
	if json.Unmarshal(v, &deletedAt) == nil && c.clock().Unix()-deletedAt < c.recreateDelay {
		return sqserr.Errorf(sqserr.CodeQueueDeletedRecently, "You must wait %d seconds after deleting a queue before you can create another with the same name.", c.recreateDelay)
	}
	return tx.Delete(deletedKey(ref))
}

// checkRedrive verifies a redrive policy's target: it must be an existing
// queue of the same account and region whose allow policy admits ref.
func (c *Catalog) checkRedrive(ctx context.Context, tx kv.Txn, ref Ref, a Attributes) error {
	if a.RedrivePolicy == nil {
		return nil
	}
	target, _ := ParseARN(a.RedrivePolicy.DeadLetterTargetArn)
	invalid := func(why string) error {
		b, _ := json.Marshal(a.RedrivePolicy)
		return sqserr.Errorf(sqserr.CodeInvalidParameterValue, "Value %s for parameter RedrivePolicy is invalid. Reason: %s", b, why)
	}
	// Another account's queue is reported exactly like a missing one, so
	// a tenant learns nothing about other accounts.
	if target.Account != ref.Account || target.Region != ref.Region {
		return invalid("Dead-letter target does not exist.")
	}
	dlq, err := Load(ctx, tx, target.Ref())
	if errors.Is(err, sqserr.ErrQueueDoesNotExist) {
		return invalid("Dead-letter target does not exist.")
	}
	if err != nil {
		return err
	}
	if dlq.Attributes.FifoQueue != a.FifoQueue {
		return invalid("Dead-letter queue must be same type of queue as the source.")
	}
	if !dlq.Attributes.RedriveAllowPolicy.Allows(ref.ARN()) {
		return invalid("Dead-letter target does not allow this queue as a source (RedriveAllowPolicy).")
	}
	return nil
}
