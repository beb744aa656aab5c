package engine

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"strings"

	"github.com/sluice-mq/sluice/internal/kv"
)

// QueueRef names a queue: the tenant's 12-digit account id, the region and
// the queue name. Every engine call is scoped by it, so a tenant can only
// ever reach keys under its own account.
type QueueRef struct {
	Account string
	Region  string
	Name    string
}

// ARN returns the queue's ARN.
func (r QueueRef) ARN() string {
	return ARN{Region: r.Region, Account: r.Account, Name: r.Name}.String()
}

// Queue is a queue as callers see it.
type Queue struct {
	QueueRef
	Attributes   Attributes
	Tags         map[string]string
	CreatedAt    int64 // unix seconds
	LastModified int64 // unix seconds
	Tiering      TieringSettings
}

// queueRecord is what the store holds under the queue key.
type queueRecord struct {
	DataID       []byte            `json:"did"`
	Attributes   Attributes        `json:"attrs"`
	Tags         map[string]string `json:"tags,omitempty"`
	CreatedAt    int64             `json:"created"`
	LastModified int64             `json:"modified"`
	PurgedAt     int64             `json:"purged,omitempty"` // unix ms
	// Tiering is the queue's cold-tier settings; nil means the defaults.
	Tiering *TieringSettings `json:"tier,omitempty"`
}

func (r *queueRecord) did() did {
	var d did
	copy(d[:], r.DataID)
	return d
}

const (
	maxQueueNameLen  = 80
	maxTags          = 50
	maxTagKeyLen     = 128
	maxTagValueLen   = 256
	deletedQuietSecs = 60 // QueueDeletedRecently window
	purgeQuietMillis = 60_000
	maxListResults   = 1000
)

var queueNameRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

func validQueueName(name string) bool {
	return queueNameRe.MatchString(strings.TrimSuffix(name, ".fifo")) && len(name) <= maxQueueNameLen
}

func checkName(name string) error {
	if !validQueueName(name) {
		return errorf(CodeInvalidParameterValue, "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	return nil
}

func newDataID() did {
	var d did
	_, _ = rand.Read(d[:])
	return d
}

func loadQueue(ctx context.Context, r kv.Reader, ref QueueRef) (*queueRecord, error) {
	v, err := r.Get(ctx, queueKey(ref.Account, ref.Region, ref.Name))
	if errors.Is(err, kv.ErrNotFound) {
		return nil, errNoQueue()
	}
	if err != nil {
		return nil, fmt.Errorf("load queue %s: %w", ref.Name, err)
	}
	var q queueRecord
	if err := json.Unmarshal(v, &q); err != nil {
		return nil, fmt.Errorf("decode queue %s: %w", ref.Name, err)
	}
	return &q, nil
}

func saveQueue(tx kv.Txn, ref QueueRef, q *queueRecord) error {
	b, err := json.Marshal(q)
	if err != nil {
		return err
	}
	return tx.Set(queueKey(ref.Account, ref.Region, ref.Name), b)
}

func validateTags(tags map[string]string) error {
	for k, v := range tags {
		if k == "" || len(k) > maxTagKeyLen || len(v) > maxTagValueLen || strings.HasPrefix(strings.ToLower(k), "aws:") {
			return errorf(CodeInvalidParameterValue, "Tag %q is invalid: keys are 1 to %d characters, values at most %d, and the aws: prefix is reserved.", k, maxTagKeyLen, maxTagValueLen)
		}
	}
	if len(tags) > maxTags {
		return errorf(CodeInvalidParameterValue, "Too many tags: a queue can have at most %d.", maxTags)
	}
	return nil
}

// NewQueue is what creating a queue takes besides its name.
type NewQueue struct {
	Attributes map[string]string
	Tags       map[string]string
	// Tiering patches the default cold-tier settings of a new queue, or
	// the settings of an existing one, as a PATCH of the queue would.
	Tiering *TieringPatch
	// Admit, when set, is asked inside the create transaction whether the
	// account, which has existing queues in every region, may have one
	// more; its error refuses the create. An existing queue is not asked,
	// since creating is idempotent. Exact under concurrent creates.
	Admit func(existing int64) error
}

// CreateQueue creates the queue, or returns the existing one when every
// given attribute matches it, as SQS does; a different value gives
// QueueAlreadyExists.
func (e *Engine) CreateQueue(ctx context.Context, ref QueueRef, attrs, tags map[string]string) (*Queue, error) {
	return e.CreateQueueWith(ctx, ref, NewQueue{Attributes: attrs, Tags: tags})
}

// CreateQueueWith is CreateQueue with tiering settings and the account's
// queue quota, all decided in the one transaction that creates the queue.
func (e *Engine) CreateQueueWith(ctx context.Context, ref QueueRef, in NewQueue) (*Queue, error) {
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
	err = e.store.Update(ctx, func(tx kv.Txn) error {
		existing, err := loadQueue(ctx, tx, ref)
		switch {
		case err == nil:
			for name, v := range want.strings() {
				if _, given := attrs[name]; given && existing.Attributes.strings()[name] != v {
					return errorf(CodeQueueAlreadyExists, "A queue already exists with the same name and a different value for attribute %s", name)
				}
			}
			if in.Tiering != nil {
				if err := e.patchTiering(tx, ref, existing, *in.Tiering); err != nil {
					return err
				}
			}
			out = existing.queue(ref)
			return nil
		case !errors.Is(err, ErrQueueDoesNotExist):
			return err
		}
		if err := e.checkNotDeletedRecently(ctx, tx, ref); err != nil {
			return err
		}
		if err := e.checkRedrive(ctx, tx, ref, want); err != nil {
			return err
		}
		if err := reserveQueue(ctx, tx, ref, in.Admit); err != nil {
			return err
		}
		now := e.clock().Unix()
		d := newDataID()
		q := &queueRecord{DataID: d[:], Attributes: want, Tags: maps.Clone(in.Tags), CreatedAt: now, LastModified: now}
		if in.Tiering != nil {
			s := in.Tiering.Apply(DefaultTiering())
			q.Tiering = &s
		}
		out = q.queue(ref)
		if err := tx.Set(queueNameKey(d), queueKey(ref.Account, ref.Region, ref.Name)); err != nil {
			return err
		}
		return saveQueue(tx, ref, q)
	})
	return out, err
}

func (e *Engine) checkNotDeletedRecently(ctx context.Context, tx kv.Txn, ref QueueRef) error {
	v, err := tx.Get(ctx, deletedKey(ref.Account, ref.Region, ref.Name))
	if errors.Is(err, kv.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var deletedAt int64
	if json.Unmarshal(v, &deletedAt) == nil && e.clock().Unix()-deletedAt < deletedQuietSecs {
		return errorf(CodeQueueDeletedRecently, "You must wait 60 seconds after deleting a queue before you can create another with the same name.")
	}
	return tx.Delete(deletedKey(ref.Account, ref.Region, ref.Name))
}

// checkRedrive verifies a redrive policy's target: it must be an existing
// queue of the same account and region whose allow policy admits ref.
func (e *Engine) checkRedrive(ctx context.Context, tx kv.Txn, ref QueueRef, a Attributes) error {
	if a.RedrivePolicy == nil {
		return nil
	}
	target, _ := ParseARN(a.RedrivePolicy.DeadLetterTargetArn)
	invalid := func(why string) error {
		b, _ := json.Marshal(a.RedrivePolicy)
		return errorf(CodeInvalidParameterValue, "Value %s for parameter RedrivePolicy is invalid. Reason: %s", b, why)
	}
	// Another account's queue is reported exactly like a missing one, so
	// a tenant learns nothing about other accounts.
	if target.Account != ref.Account || target.Region != ref.Region {
		return invalid("Dead-letter target does not exist.")
	}
	dlq, err := loadQueue(ctx, tx, QueueRef{Account: target.Account, Region: target.Region, Name: target.Name})
	if errors.Is(err, ErrQueueDoesNotExist) {
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

func (q *queueRecord) queue(ref QueueRef) *Queue {
	return &Queue{QueueRef: ref, Attributes: q.Attributes, Tags: maps.Clone(q.Tags), CreatedAt: q.CreatedAt, LastModified: q.LastModified, Tiering: q.tiering()}
}

// GetQueue returns the queue.
func (e *Engine) GetQueue(ctx context.Context, ref QueueRef) (*Queue, error) {
	var out *Queue
	err := e.store.View(ctx, func(r kv.Reader) error {
		q, err := loadQueue(ctx, r, ref)
		if err == nil {
			out = q.queue(ref)
		}
		return err
	})
	return out, err
}

// ListQueues lists the account's queue names in the region that start with
// prefix, a page at a time. maxResults 0 means up to 1000; nextToken is the
// value returned by the previous page.
func (e *Engine) ListQueues(ctx context.Context, account, region, prefix string, maxResults int, nextToken string) (names []string, next string, err error) {
	if maxResults < 0 || maxResults > maxListResults {
		return nil, "", errorf(CodeInvalidParameterValue, "Value %d for parameter MaxResults is invalid. Reason: must be between 1 and %d.", maxResults, maxListResults)
	}
	limit := maxResults
	if limit == 0 {
		limit = maxListResults
	}
	base := queuePrefix(account, region)
	start := append(append([]byte(nil), base...), prefix...)
	end := prefixEnd(start)
	if nextToken != "" {
		after, err := base64.RawURLEncoding.DecodeString(nextToken)
		if err != nil || !strings.HasPrefix(string(after), prefix) {
			return nil, "", errorf(CodeInvalidParameterValue, "Invalid NextToken value.")
		}
		start = append(append(append([]byte(nil), base...), after...), 0)
	}
	err = e.store.View(ctx, func(r kv.Reader) error {
		kvs, err := r.Scan(ctx, start, end, limit+1)
		if err != nil {
			return err
		}
		for i, p := range kvs {
			if i == limit {
				next = base64.RawURLEncoding.EncodeToString([]byte(names[len(names)-1]))
				break
			}
			names = append(names, string(p.Key[len(base):]))
		}
		return nil
	})
	if maxResults == 0 {
		next = "" // SQS paginates only when asked to
	}
	return names, next, err
}

// DeleteAccountQueues deletes every queue of the account, in every region,
// as DeleteQueue does (their messages go to the sweeper). It returns how
// many it deleted.
func (e *Engine) DeleteAccountQueues(ctx context.Context, account string) (int, error) {
	prefix := []byte("C/q/" + account + "/")
	deleted := 0
	err := e.forEachKey(ctx, prefix, func(p kv.KV) error {
		region, name, ok := strings.Cut(string(p.Key[len(prefix):]), "/")
		if !ok {
			return fmt.Errorf("queue key %q: no region", p.Key)
		}
		err := e.DeleteQueue(ctx, QueueRef{Account: account, Region: region, Name: name})
		if err != nil && !errors.Is(err, ErrQueueDoesNotExist) {
			return fmt.Errorf("delete queue %s/%s: %w", region, name, err)
		}
		deleted++
		return nil
	})
	return deleted, err
}

// SetQueueAttributes validates every attribute, then applies all of them.
func (e *Engine) SetQueueAttributes(ctx context.Context, ref QueueRef, attrs map[string]string) error {
	if len(attrs) == 0 {
		return errorf(CodeMissingParameter, "The request must contain the parameter Attribute.Name.")
	}
	return e.store.Update(ctx, func(tx kv.Txn) error {
		q, err := loadQueue(ctx, tx, ref)
		if err != nil {
			return err
		}
		next, err := q.Attributes.apply(attrs)
		if err != nil {
			return err
		}
		if err := next.checkQueueType(ref.Name, attrs, false); err != nil {
			return err
		}
		if _, ok := attrs[AttrRedrivePolicy]; ok {
			if err := e.checkRedrive(ctx, tx, ref, next); err != nil {
				return err
			}
		}
		q.Attributes = next
		q.LastModified = e.clock().Unix()
		return saveQueue(tx, ref, q)
	})
}

// DeleteQueue removes the queue at once; a sweeper removes its messages.
func (e *Engine) DeleteQueue(ctx context.Context, ref QueueRef) error {
	var old did
	err := e.store.Update(ctx, func(tx kv.Txn) error {
		q, err := loadQueue(ctx, tx, ref)
		if err != nil {
			return err
		}
		old = q.did()
		if err := tx.Set(garbageKey(q.did()), []byte{1}); err != nil {
			return err
		}
		stamp, _ := json.Marshal(e.clock().Unix())
		if err := tx.Set(deletedKey(ref.Account, ref.Region, ref.Name), stamp); err != nil {
			return err
		}
		if err := addQueueCount(ctx, tx, ref.Account, -1); err != nil {
			return err
		}
		return tx.Delete(queueKey(ref.Account, ref.Region, ref.Name))
	})
	if err == nil {
		e.waiters.notify(old) // its long polls, here and on other nodes, end now
	}
	return err
}

// PurgeQueue empties the queue at once by switching it to a fresh data
// range; a sweeper removes the old one. SQS allows one purge a minute.
func (e *Engine) PurgeQueue(ctx context.Context, ref QueueRef) error {
	var old did
	err := e.store.Update(ctx, func(tx kv.Txn) error {
		q, err := loadQueue(ctx, tx, ref)
		if err != nil {
			return err
		}
		old = q.did()
		now := e.clock().UnixMilli()
		if q.PurgedAt != 0 && now-q.PurgedAt < purgeQuietMillis {
			return errorf(CodePurgeQueueInProgress, "Only one PurgeQueue operation on %s is allowed every 60 seconds.", ref.Name)
		}
		if err := tx.Set(garbageKey(q.did()), []byte{1}); err != nil {
			return err
		}
		d := newDataID()
		q.DataID, q.PurgedAt = d[:], now
		if err := tx.Set(queueNameKey(d), queueKey(ref.Account, ref.Region, ref.Name)); err != nil {
			return err
		}
		return saveQueue(tx, ref, q)
	})
	if err == nil {
		e.waiters.notify(old) // its long polls move to the new range now
	}
	return err
}

// TagQueue adds or replaces tags.
func (e *Engine) TagQueue(ctx context.Context, ref QueueRef, tags map[string]string) error {
	return e.store.Update(ctx, func(tx kv.Txn) error {
		q, err := loadQueue(ctx, tx, ref)
		if err != nil {
			return err
		}
		merged := maps.Clone(q.Tags)
		if merged == nil {
			merged = map[string]string{}
		}
		maps.Copy(merged, tags)
		if err := validateTags(merged); err != nil {
			return err
		}
		q.Tags = merged
		return saveQueue(tx, ref, q)
	})
}

// UntagQueue removes tags; missing keys are ignored.
func (e *Engine) UntagQueue(ctx context.Context, ref QueueRef, keys []string) error {
	return e.store.Update(ctx, func(tx kv.Txn) error {
		q, err := loadQueue(ctx, tx, ref)
		if err != nil {
			return err
		}
		for _, k := range keys {
			delete(q.Tags, k)
		}
		return saveQueue(tx, ref, q)
	})
}

// ListQueueTags returns the queue's tags.
func (e *Engine) ListQueueTags(ctx context.Context, ref QueueRef) (map[string]string, error) {
	q, err := e.GetQueue(ctx, ref)
	if err != nil {
		return nil, err
	}
	return q.Tags, nil
}

// ListDeadLetterSourceQueues lists the names of the account's queues in
// the region whose redrive policy targets ref.
func (e *Engine) ListDeadLetterSourceQueues(ctx context.Context, ref QueueRef, maxResults int, nextToken string) (names []string, next string, err error) {
	if _, err := e.GetQueue(ctx, ref); err != nil {
		return nil, "", err
	}
	target := ref.ARN()
	after := ""
	if nextToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(nextToken)
		if err != nil {
			return nil, "", errorf(CodeInvalidParameterValue, "Invalid NextToken value.")
		}
		after = string(b)
	}
	limit := maxResults
	if limit <= 0 || limit > maxListResults {
		limit = maxListResults
	}
	base := queuePrefix(ref.Account, ref.Region)
	start := base
	if after != "" {
		start = append(append(append([]byte(nil), base...), after...), 0)
	}
	err = e.store.View(ctx, func(r kv.Reader) error {
		kvs, err := r.Scan(ctx, start, prefixEnd(base), 0)
		if err != nil {
			return err
		}
		for _, p := range kvs {
			var q queueRecord
			if json.Unmarshal(p.Value, &q) != nil || q.Attributes.RedrivePolicy == nil || q.Attributes.RedrivePolicy.DeadLetterTargetArn != target {
				continue
			}
			if len(names) == limit {
				next = base64.RawURLEncoding.EncodeToString([]byte(names[len(names)-1]))
				return nil
			}
			names = append(names, string(p.Key[len(base):]))
		}
		return nil
	})
	if maxResults == 0 {
		next = ""
	}
	return names, next, err
}
