package topics

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/internal/kv"
)

// Options configures a Catalog. Zero values take the defaults.
type Options struct {
	Clock func() time.Time
	// MaxSubscriptionsPerTopic bounds a topic's subscriptions (default
	// 1,000, CMQ's subscribers per topic), so a publish reads a bounded
	// number of records in its transaction.
	MaxSubscriptionsPerTopic int
}

// Catalog stores topics and subscriptions.
type Catalog struct {
	store   kv.Store
	clock   func() time.Time
	maxSubs int
}

// New returns a Catalog over store.
func New(store kv.Store, opts Options) *Catalog {
	c := &Catalog{store: store, clock: opts.Clock, maxSubs: opts.MaxSubscriptionsPerTopic}
	if c.clock == nil {
		c.clock = time.Now
	}
	if c.maxSubs <= 0 {
		c.maxSubs = 1000
	}
	return c
}

// PageSize is how many topics or subscriptions a list call returns, as SNS.
const PageSize = 100

const (
	maxTags        = 50
	maxTagKeyLen   = 128
	maxTagValueLen = 256
)

// readTopic reads a topic record; a missing one is NotFound.
func readTopic(ctx context.Context, r kv.Reader, ref Ref) (*Topic, error) {
	v, err := r.Get(ctx, topicKey(ref))
	if errors.Is(err, kv.ErrNotFound) {
		return nil, errTopicNotFound()
	}
	if err != nil {
		return nil, fmt.Errorf("read topic %s: %w", ref.ARN(), err)
	}
	t := &Topic{Ref: ref}
	if err := json.Unmarshal(v, t); err != nil {
		return nil, fmt.Errorf("decode topic %s: %w", ref.ARN(), err)
	}
	return t, nil
}

func writeTopic(tx kv.Txn, t *Topic) error {
	v, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return tx.Set(topicKey(t.Ref), v)
}

func validateTags(tags map[string]string) error {
	for k, v := range tags {
		if k == "" || len(k) > maxTagKeyLen || len(v) > maxTagValueLen {
			return invalidParameter("Tags Reason: keys are 1 to %d characters and values at most %d", maxTagKeyLen, maxTagValueLen)
		}
	}
	if len(tags) > maxTags {
		return sqserr.Errorf(CodeTagLimitExceeded, "Could not complete request: tag quota of per resource exceeded")
	}
	return nil
}

// Create creates a topic, or returns the existing one when it has the
// same attributes (CreateTopic is idempotent). admit, if not nil, is
// given the account's topic count (every region) inside the create
// transaction and may refuse.
func (c *Catalog) Create(ctx context.Context, ref Ref, attrs, tags map[string]string, admit func(existing int64) error) (*Topic, error) {
	if !ValidName(ref.Name) {
		return nil, invalidParameter("Topic Name")
	}
	if ref.FIFO() && attrs["FifoTopic"] != "true" {
		return nil, invalidParameter("Fifo Topic names must end with .fifo and Standard Topic cannot end with .fifo")
	}
	for k, v := range attrs {
		if err := checkTopicAttribute(ref, k, v, true); err != nil {
			return nil, err
		}
	}
	if err := validateTags(tags); err != nil {
		return nil, err
	}
	stored := maps.Clone(attrs)
	delete(stored, "FifoTopic")
	var out *Topic
	err := c.store.Update(ctx, func(tx kv.Txn) error {
		old, err := readTopic(ctx, tx, ref)
		if err == nil {
			for k, v := range stored {
				if old.Attributes[k] != v {
					return invalidParameter("Attributes Reason: Topic already exists with different attributes")
				}
			}
			for k, v := range tags {
				if ov, ok := old.Tags[k]; !ok || ov != v {
					return invalidParameter("Tags Reason: Topic already exists with different tags")
				}
			}
			out = old
			return nil
		}
		if !sqserrIs(err, CodeNotFound) {
			return err
		}
		n, err := topicCount(ctx, tx, ref.Account)
		if err != nil {
			return err
		}
		if admit != nil {
			if err := admit(n); err != nil {
				return err
			}
		}
		if err := tx.Set(countKey(ref.Account), binary.AppendVarint(nil, n+1)); err != nil {
			return err
		}
		out = &Topic{Ref: ref, Attributes: stored, Tags: maps.Clone(tags), CreatedAt: c.clock().UnixMilli()}
		return writeTopic(tx, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func sqserrIs(err error, code string) bool {
	var e *sqserr.Error
	return errors.As(err, &e) && e.Code == code
}

func topicCount(ctx context.Context, r kv.Reader, account string) (int64, error) {
	v, err := r.Get(ctx, countKey(account))
	if errors.Is(err, kv.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("topic count of %s: %w", account, err)
	}
	n, size := binary.Varint(v)
	if size <= 0 || n < 0 {
		return 0, fmt.Errorf("topic count of %s: corrupt value %x", account, v)
	}
	return n, nil
}

// Count returns the account's number of topics, in every region.
func (c *Catalog) Count(ctx context.Context, account string) (int64, error) {
	var n int64
	err := c.store.View(ctx, func(r kv.Reader) (err error) {
		n, err = topicCount(ctx, r, account)
		return err
	})
	return n, err
}

// Delete deletes a topic and its subscriptions. Deleting a topic that
// does not exist succeeds, as in SNS.
func (c *Catalog) Delete(ctx context.Context, ref Ref) error {
	return c.store.Update(ctx, func(tx kv.Txn) error {
		if _, err := readTopic(ctx, tx, ref); sqserrIs(err, CodeNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		prefix := subsPrefix(ref)
		subs, err := tx.Scan(ctx, prefix, kv.PrefixEnd(prefix), 0)
		if err != nil {
			return err
		}
		for _, kv := range subs {
			if err := tx.Delete(kv.Key); err != nil {
				return err
			}
		}
		if err := tx.Delete(topicKey(ref)); err != nil {
			return err
		}
		if err := deleteFIFOState(ctx, tx, ref); err != nil {
			return err
		}
		n, err := topicCount(ctx, tx, ref.Account)
		if err != nil {
			return err
		}
		if n <= 1 {
			return tx.Delete(countKey(ref.Account))
		}
		return tx.Set(countKey(ref.Account), binary.AppendVarint(nil, n-1))
	})
}

// Get reads a topic.
func (c *Catalog) Get(ctx context.Context, ref Ref) (*Topic, error) {
	var t *Topic
	err := c.store.View(ctx, func(r kv.Reader) (err error) {
		t, err = readTopic(ctx, r, ref)
		return err
	})
	return t, err
}

// TopicAttributes returns every attribute GetTopicAttributes reports.
func (c *Catalog) TopicAttributes(ctx context.Context, ref Ref) (map[string]string, error) {
	var (
		t             *Topic
		subs, pending int
	)
	err := c.store.View(ctx, func(r kv.Reader) (err error) {
		if t, err = readTopic(ctx, r, ref); err != nil {
			return err
		}
		all, err := readSubs(ctx, r, ref)
		for _, s := range all {
			if s.Pending() {
				pending++
			} else {
				subs++
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	out := map[string]string{
		"TopicArn":                ref.ARN(),
		"Owner":                   ref.Account,
		"DisplayName":             "",
		"SubscriptionsConfirmed":  fmt.Sprint(subs),
		"SubscriptionsPending":    fmt.Sprint(pending),
		"SubscriptionsDeleted":    "0",
		"Policy":                  defaultPolicy(ref),
		"EffectiveDeliveryPolicy": defaultDeliveryPolicy,
	}
	if ref.FIFO() {
		out["FifoTopic"] = "true"
		out["ContentBasedDeduplication"] = "false"
	}
	maps.Copy(out, t.Attributes)
	return out, nil
}

const defaultDeliveryPolicy = `{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}`

// defaultPolicy is the policy SNS gives a new topic: only its owner may
// act on it.
func defaultPolicy(ref Ref) string {
	actions := `["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission","SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:Publish"]`
	return `{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{"AWS":"*"},"Action":` +
		actions + `,"Resource":"` + ref.ARN() + `","Condition":{"StringEquals":{"AWS:SourceOwner":"` + ref.Account + `"}}}]}`
}

// SetAttribute sets one topic attribute; an empty value removes it.
func (c *Catalog) SetAttribute(ctx context.Context, ref Ref, name, value string) error {
	if err := checkTopicAttribute(ref, name, value, false); err != nil {
		return err
	}
	return c.update(ctx, ref, func(t *Topic) error {
		if t.Attributes == nil {
			t.Attributes = map[string]string{}
		}
		if value == "" {
			delete(t.Attributes, name)
		} else {
			t.Attributes[name] = value
		}
		return nil
	})
}

func (c *Catalog) update(ctx context.Context, ref Ref, fn func(t *Topic) error) error {
	return c.store.Update(ctx, func(tx kv.Txn) error {
		t, err := readTopic(ctx, tx, ref)
		if err != nil {
			return err
		}
		if err := fn(t); err != nil {
			return err
		}
		return writeTopic(tx, t)
	})
}

// Tag adds or replaces tags of a topic.
func (c *Catalog) Tag(ctx context.Context, ref Ref, tags map[string]string) error {
	err := c.update(ctx, ref, func(t *Topic) error {
		merged := maps.Clone(t.Tags)
		if merged == nil {
			merged = map[string]string{}
		}
		maps.Copy(merged, tags)
		if err := validateTags(merged); err != nil {
			return err
		}
		t.Tags = merged
		return nil
	})
	return resourceNotFound(err)
}

// Untag removes tags of a topic; missing keys are ignored.
func (c *Catalog) Untag(ctx context.Context, ref Ref, keys []string) error {
	err := c.update(ctx, ref, func(t *Topic) error {
		for _, k := range keys {
			delete(t.Tags, k)
		}
		return nil
	})
	return resourceNotFound(err)
}

// Tags returns a topic's tags.
func (c *Catalog) Tags(ctx context.Context, ref Ref) (map[string]string, error) {
	t, err := c.Get(ctx, ref)
	if err != nil {
		return nil, resourceNotFound(err)
	}
	return t.Tags, nil
}

// resourceNotFound turns NotFound into the tag actions' ResourceNotFound.
func resourceNotFound(err error) error {
	if sqserrIs(err, CodeNotFound) {
		return sqserr.Errorf(CodeResourceNotFound, "Resource does not exist")
	}
	return err
}

// List returns a page of the account's topics in region, after the
// topic named after ("" from the start), and the name to continue after
// ("" when done).
func (c *Catalog) List(ctx context.Context, account, region, after string) ([]Ref, string, error) {
	prefix := topicsPrefix(account, region)
	start := prefix
	if after != "" {
		start = append(append([]byte(nil), prefix...), after+"\x00"...)
	}
	var kvs []kv.KV
	err := c.store.View(ctx, func(r kv.Reader) (err error) {
		kvs, err = r.Scan(ctx, start, kv.PrefixEnd(prefix), PageSize+1)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	var out []Ref
	for _, e := range kvs {
		if ref, ok := parseTopicKey(e.Key); ok {
			out = append(out, ref)
		}
	}
	next := ""
	if len(out) > PageSize {
		out = out[:PageSize]
		next = out[PageSize-1].Name
	}
	return out, next, nil
}

// Subscribe subscribes endpoint over protocol to a topic; only protocol
// sqs, to a queue of the topic's own account, is served. The same
// protocol and endpoint subscribed again answers the existing
// subscription when the attributes agree.
func (c *Catalog) Subscribe(ctx context.Context, topic Ref, protocol, endpoint string, attrs map[string]string) (*Subscription, error) {
	if err := c.checkEndpoint(topic, protocol, endpoint); err != nil {
		return nil, err
	}
	attrs = maps.Clone(attrs)
	for k, v := range attrs {
		attrs[k] = normalizeSubscriptionAttribute(k, v)
	}
	if err := checkSubscriptionAttributes(attrs); err != nil {
		return nil, err
	}
	if err := checkPushAttributes(topic, attrs); err != nil {
		return nil, err
	}
	now := c.clock().UnixMilli()
	return c.addSubscription(ctx, topic, protocol, endpoint, attrs, func() *Subscription {
		return &Subscription{Ref: SubRef{Topic: topic, ID: newUUID()}, Protocol: protocol, Endpoint: endpoint, Attributes: attrs, CreatedAt: now}
	})
}

// addSubscription stores the subscription fresh makes, or answers the
// topic's existing one of the same protocol and endpoint when the
// attributes agree.
func (c *Catalog) addSubscription(ctx context.Context, topic Ref, protocol, endpoint string, attrs map[string]string, fresh func() *Subscription) (*Subscription, error) {
	var out *Subscription
	err := c.store.Update(ctx, func(tx kv.Txn) error {
		if _, err := readTopic(ctx, tx, topic); err != nil {
			return err
		}
		subs, err := readSubs(ctx, tx, topic)
		if err != nil {
			return err
		}
		for _, s := range subs {
			if s.Protocol == protocol && s.Endpoint == endpoint {
				for k, v := range attrs {
					if s.Attributes[k] != v {
						return invalidParameter("Attributes Reason: Subscription already exists with different attributes")
					}
				}
				out = s
				return nil
			}
		}
		if len(subs) >= c.maxSubs {
			return sqserr.Errorf(CodeSubscriptionLimitExceeded, "Subscription limit exceeded: a topic has at most %d subscriptions.", c.maxSubs)
		}
		out = fresh()
		return writeSub(tx, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkEndpoint admits sqs endpoints: a queue ARN of the topic's account
// (another tenant's queue is refused, as SNS refuses a queue whose policy
// does not let the topic send), FIFO queues only for FIFO topics.
func (c *Catalog) checkEndpoint(topic Ref, protocol, endpoint string) error {
	switch protocol {
	case "sqs":
	case "http", "https":
		return invalidParameter("Protocol Reason: %s subscriptions are made with SubscribeHTTP", protocol)
	case "email", "email-json", "sms", "lambda", "application", "firehose":
		return invalidParameter("Protocol Reason: %s subscriptions are not supported yet", protocol)
	default:
		return invalidParameter("Invalid protocol type: %s", protocol)
	}
	arn, err := queues.ParseARN(endpoint)
	if err != nil {
		return invalidParameter("SQS endpoint ARN")
	}
	if arn.Account != topic.Account {
		return sqserr.Errorf(CodeAuthorizationError, "Not authorized to subscribe the queue %s of another account", endpoint)
	}
	if queues.IsFIFOName(arn.Name) != topic.FIFO() {
		if topic.FIFO() {
			return invalidParameter("Invalid parameter: Endpoint Reason: Please use FIFO SQS queue")
		}
		return invalidParameter("Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics")
	}
	return nil
}

func writeSub(tx kv.Txn, s *Subscription) error {
	v, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return tx.Set(subKey(s.Ref), v)
}

func decodeSub(e kv.KV) (*Subscription, error) {
	ref, ok := parseSubKey(e.Key)
	if !ok {
		return nil, fmt.Errorf("bad subscription key %q", e.Key)
	}
	s := &Subscription{Ref: ref}
	if err := json.Unmarshal(e.Value, s); err != nil {
		return nil, fmt.Errorf("decode subscription %s: %w", ref.ARN(), err)
	}
	return s, nil
}

// readSubs reads every subscription of a topic.
func readSubs(ctx context.Context, r kv.Reader, topic Ref) ([]*Subscription, error) {
	prefix := subsPrefix(topic)
	kvs, err := r.Scan(ctx, prefix, kv.PrefixEnd(prefix), 0)
	if err != nil {
		return nil, err
	}
	out := make([]*Subscription, 0, len(kvs))
	for _, e := range kvs {
		s, err := decodeSub(e)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func readSub(ctx context.Context, r kv.Reader, ref SubRef) (*Subscription, error) {
	v, err := r.Get(ctx, subKey(ref))
	if errors.Is(err, kv.ErrNotFound) {
		return nil, sqserr.Errorf(CodeNotFound, "Subscription does not exist")
	}
	if err != nil {
		return nil, err
	}
	return decodeSub(kv.KV{Key: subKey(ref), Value: v})
}

// Unsubscribe deletes a subscription; a missing one is NotFound.
func (c *Catalog) Unsubscribe(ctx context.Context, ref SubRef) error {
	return c.store.Update(ctx, func(tx kv.Txn) error {
		if _, err := readSub(ctx, tx, ref); err != nil {
			return err
		}
		return tx.Delete(subKey(ref))
	})
}

// GetSubscription reads a subscription.
func (c *Catalog) GetSubscription(ctx context.Context, ref SubRef) (*Subscription, error) {
	var s *Subscription
	err := c.store.View(ctx, func(r kv.Reader) (err error) {
		s, err = readSub(ctx, r, ref)
		return err
	})
	return s, err
}

// SubscriptionAttributes returns every attribute
// GetSubscriptionAttributes reports.
func (c *Catalog) SubscriptionAttributes(ctx context.Context, ref SubRef) (map[string]string, error) {
	s, err := c.GetSubscription(ctx, ref)
	if err != nil {
		return nil, err
	}
	out := map[string]string{
		"SubscriptionArn":              ref.ARN(),
		"TopicArn":                     ref.Topic.ARN(),
		"Owner":                        ref.Topic.Account,
		"Protocol":                     s.Protocol,
		"Endpoint":                     s.Endpoint,
		"ConfirmationWasAuthenticated": fmt.Sprint(s.Push == nil || s.Push.Authenticated),
		"PendingConfirmation":          fmt.Sprint(s.Pending()),
		"RawMessageDelivery":           "false",
		"SubscriptionPrincipal":        "arn:aws:iam::" + ref.Topic.Account + ":root",
	}
	maps.Copy(out, s.Attributes)
	if s.Push != nil {
		out["SigningSecret"] = s.Push.Secret // the owner's, to verify X-Sluice-Signature
	}
	if out["FilterPolicy"] != "" && out["FilterPolicyScope"] == "" {
		out["FilterPolicyScope"] = "MessageAttributes"
	}
	return out, nil
}

// SetSubscriptionAttribute sets one subscription attribute; an empty
// value removes it.
func (c *Catalog) SetSubscriptionAttribute(ctx context.Context, ref SubRef, name, value string) error {
	value = normalizeSubscriptionAttribute(name, value)
	if !knownSubscriptionAttribute(name) {
		return invalidParameter("AttributeName")
	}
	return c.store.Update(ctx, func(tx kv.Txn) error {
		s, err := readSub(ctx, tx, ref)
		if err != nil {
			return err
		}
		attrs := maps.Clone(s.Attributes)
		if attrs == nil {
			attrs = map[string]string{}
		}
		if value == "" {
			delete(attrs, name)
		} else {
			attrs[name] = value
		}
		if err := checkSubscriptionAttributes(attrs); err != nil {
			return err
		}
		if err := checkPushAttributes(ref.Topic, attrs); err != nil {
			return err
		}
		if name == "SigningSecret" {
			if s.Push == nil || value == "" {
				return invalidParameter("AttributeName")
			}
			s.Push.Secret = value
			return writeSub(tx, s)
		}
		s.Attributes = attrs
		return writeSub(tx, s)
	})
}

// ListSubscriptions returns a page of the account's subscriptions in
// region (of every topic, or of topic when it is not nil), after the
// subscription ARN after, and the ARN to continue after.
func (c *Catalog) ListSubscriptions(ctx context.Context, account, region string, topic *Ref, after string) ([]*Subscription, string, error) {
	prefix := regionSubsPrefix(account, region)
	if topic != nil {
		prefix = subsPrefix(*topic)
	}
	start := prefix
	if after != "" {
		ref, err := ParseSubscriptionARN(after)
		if err != nil || ref.Topic.Account != account || ref.Topic.Region != region {
			return nil, "", invalidParameter("NextToken")
		}
		start = append(subKey(ref), 0)
	}
	var out []*Subscription
	err := c.store.View(ctx, func(r kv.Reader) error {
		if topic != nil {
			if _, err := readTopic(ctx, r, *topic); err != nil {
				return err
			}
		}
		kvs, err := r.Scan(ctx, start, kv.PrefixEnd(prefix), PageSize+1)
		if err != nil {
			return err
		}
		for _, e := range kvs {
			s, err := decodeSub(e)
			if err != nil {
				return err
			}
			out = append(out, s)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > PageSize {
		out = out[:PageSize]
		next = out[PageSize-1].Ref.ARN()
	}
	return out, next, nil
}

func parseQueueEndpoint(endpoint string) (queues.Ref, error) {
	arn, err := queues.ParseARN(endpoint)
	if err != nil {
		return queues.Ref{}, err
	}
	return arn.Ref(), nil
}
