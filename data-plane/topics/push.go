package topics

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/msgattr"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/internal/kv"
)

// An http/https subscription keeps its undelivered messages in an
// internal queue of the topic's account (PushQueue), written by Publish
// in the publish transaction like any sqs delivery; the push workers of
// data-plane/topics/push receive from it, POST each message to the
// endpoint and delete it on a 2xx. A registry entry per push subscription
// (T/h/..., written before its queue exists and removed only after the
// queue is gone) is what the workers scan, so no queue outlives its
// subscription.

// PushState is the part of a subscription record only http/https
// subscriptions have.
type PushState struct {
	// Pending is true until the endpoint confirms (ConfirmSubscription
	// with Token, or a GET of the SubscribeURL).
	Pending bool `json:"pending,omitempty"`
	// Token is the confirmation token, issued at TokenIssued (Unix ms).
	Token       string `json:"token"`
	TokenIssued int64  `json:"tokenIssued"`
	// Authenticated says the confirmation was a signed call of the owner.
	Authenticated bool `json:"authenticated,omitempty"`
	// Secret keys the X-Sluice-Signature of every request.
	Secret string `json:"secret"`
}

// tokenLifetime is how long a confirmation token is good for, as SNS.
const tokenLifetime = 3 * 24 * time.Hour

// Message attributes of a push queue's messages.
const (
	PushAttrType      = "Type"      // Notification or SubscriptionConfirmation
	PushAttrMessageID = "MessageId" // the SNS message id
)

// Push message types.
const (
	TypeNotification = "Notification"
	TypeConfirmation = "SubscriptionConfirmation"
)

// IsPush reports whether protocol is delivered by HTTP POST.
func IsPush(protocol string) bool { return protocol == "http" || protocol == "https" }

// PushQueue is the internal queue holding subscription s's backlog.
func PushQueue(s SubRef) queues.Ref {
	return queues.Ref{Account: s.Topic.Account, Region: queues.InternalRegionPrefix + s.Topic.Region, Name: s.ID}
}

func pushKey(s SubRef) []byte {
	return []byte("T/h/" + s.Topic.Account + "/" + s.Topic.Region + "/" + s.Topic.Name + "/" + s.ID)
}

var pushPrefix = []byte("T/h/")

// PushEntry is one registered push subscription.
type PushEntry struct {
	Ref SubRef
	// Registered is when the entry was written (Unix ms): its subscription
	// record follows it, so a young entry without one is being made.
	Registered int64
}

// PushSubscriptions lists every registered push subscription, of every
// account.
func (c *Catalog) PushSubscriptions(ctx context.Context) ([]PushEntry, error) {
	var out []PushEntry
	err := kv.ForEachPage(ctx, c.store, pushPrefix, 1000, func(page []kv.KV) error {
		for _, e := range page {
			k := append([]byte("T/s/"), e.Key[len(pushPrefix):]...)
			ref, ok := parseSubKey(k)
			if !ok {
				continue
			}
			at, _ := binary.Varint(e.Value)
			out = append(out, PushEntry{Ref: ref, Registered: at})
		}
		return nil
	})
	return out, err
}

// Unregister removes a push subscription's registry entry, once its
// queue is gone.
func (c *Catalog) Unregister(ctx context.Context, s SubRef) error {
	return c.store.Update(ctx, func(tx kv.Txn) error { return tx.Delete(pushKey(s)) })
}

// Clock is the catalog's clock.
func (c *Catalog) Clock() time.Time { return c.clock() }

func sqserrAuthorization(arn string) error {
	return sqserr.Errorf(CodeAuthorizationError, "Not authorized to use the queue %s of another account", arn)
}

// checkPushEndpoint validates an http/https endpoint URL.
func checkPushEndpoint(topic Ref, protocol, endpoint string) error {
	if topic.FIFO() {
		return invalidParameter("Invalid parameter: Endpoint Reason: FIFO topics deliver only to FIFO SQS queues")
	}
	u, err := url.Parse(endpoint)
	if err != nil || len(endpoint) > 2048 || u.Scheme != protocol || u.Host == "" || u.Hostname() == "" || u.User != nil || u.Fragment != "" {
		return invalidParameter("Invalid parameter: Endpoint must match the specified protocol")
	}
	// An address no delivery could ever reach (push.Guard refuses it at
	// every dial) is refused now; names are checked when dialled.
	if ip, err := netip.ParseAddr(strings.Trim(u.Hostname(), "[]")); err == nil {
		ip = ip.Unmap()
		if ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsUnspecified() || ip.IsMulticast() {
			return invalidParameter("Invalid parameter: Endpoint Reason: %s is not an address Sluice delivers to", ip)
		}
	}
	return nil
}

// checkPushAttributes validates the attributes only push subscriptions
// act on, whatever the protocol (they are stored either way).
func checkPushAttributes(topic Ref, attrs map[string]string) error {
	if v := attrs["DeliveryPolicy"]; v != "" {
		if err := checkSubDeliveryPolicy(v); err != nil {
			return err
		}
	}
	if v := attrs["RedrivePolicy"]; v != "" {
		if _, err := checkRedrivePolicy(topic, v); err != nil {
			return err
		}
	}
	switch v := attrs["NotifyStrategy"]; v {
	case "", StrategyExponentialDecay, StrategyBackoff:
	default:
		return invalidParameter("Attributes Reason: NotifyStrategy: must be EXPONENTIAL_DECAY_RETRY or BACKOFF_RETRY")
	}
	if v, ok := attrs["SigningSecret"]; ok && (len(v) < 16 || len(v) > 256) {
		return invalidParameter("Attributes Reason: SigningSecret: 16 to 256 characters")
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// SubscribeHTTP subscribes an http or https endpoint to a topic. The
// subscription is pending until the endpoint confirms it: a
// SubscriptionConfirmation carrying the token and subscribeURL (the
// caller's ConfirmSubscription GET URL, without the token) is queued for
// delivery. Subscribing a pending endpoint again sends the confirmation
// again, as SNS does.
func (c *Catalog) SubscribeHTTP(ctx context.Context, eng *engine.Engine, topic Ref, protocol, endpoint string, attrs map[string]string, subscribeURL string) (*Subscription, error) {
	if err := checkPushEndpoint(topic, protocol, endpoint); err != nil {
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
	secret := attrs["SigningSecret"]
	delete(attrs, "SigningSecret") // kept in the push state, never listed
	if secret == "" {
		secret = base64.RawURLEncoding.EncodeToString([]byte(randomHex(24)))
	}
	// The common case of subscribing again makes no queue.
	existing, err := c.findSub(ctx, topic, protocol, endpoint)
	if err != nil {
		return nil, err
	}
	ref := SubRef{Topic: topic, ID: newUUID()}
	if existing == nil {
		if err := c.store.Update(ctx, func(tx kv.Txn) error {
			return tx.Set(pushKey(ref), binary.AppendVarint(nil, c.clock().UnixMilli()))
		}); err != nil {
			return nil, err
		}
		if _, err := eng.Catalog().Create(ctx, PushQueue(ref), map[string]string{
			"MessageRetentionPeriod": "1209600", // the workers give up first
			"VisibilityTimeout":      "60",
		}, nil); err != nil {
			return nil, fmt.Errorf("create push queue: %w", err)
		}
	}
	now := c.clock().UnixMilli()
	sub, err := c.addSubscription(ctx, topic, protocol, endpoint, attrs, func() *Subscription {
		return &Subscription{Ref: ref, Protocol: protocol, Endpoint: endpoint, Attributes: attrs, CreatedAt: now,
			Push: &PushState{Pending: true, Token: randomHex(64), TokenIssued: now, Secret: secret}}
	})
	if err != nil {
		return nil, err
	}
	if sub.Push != nil && sub.Push.Pending {
		if err := c.sendConfirmation(ctx, eng, sub, subscribeURL); err != nil {
			return nil, err
		}
	}
	return sub, nil
}

func (c *Catalog) findSub(ctx context.Context, topic Ref, protocol, endpoint string) (*Subscription, error) {
	var out *Subscription
	err := c.store.View(ctx, func(r kv.Reader) error {
		if _, err := readTopic(ctx, r, topic); err != nil {
			return err
		}
		subs, err := readSubs(ctx, r, topic)
		for _, s := range subs {
			if s.Protocol == protocol && s.Endpoint == endpoint {
				out = s
			}
		}
		return err
	})
	return out, err
}

// confirmation is SNS's SubscriptionConfirmation message.
type confirmation struct {
	Type             string `json:"Type"`
	MessageID        string `json:"MessageId"`
	Token            string `json:"Token"`
	TopicArn         string `json:"TopicArn"`
	Message          string `json:"Message"`
	SubscribeURL     string `json:"SubscribeURL"`
	Timestamp        string `json:"Timestamp"`
	SignatureVersion string `json:"SignatureVersion"`
}

// SubscribeURL returns the URL that confirms a subscription with token:
// base (scheme and host of the Sluice endpoint) with the
// ConfirmSubscription query.
func SubscribeURL(base string, topic Ref, token string) string {
	q := url.Values{"Action": {"ConfirmSubscription"}, "TopicArn": {topic.ARN()}, "Token": {token}}
	return strings.TrimRight(base, "/") + "/?" + q.Encode()
}

func (c *Catalog) sendConfirmation(ctx context.Context, eng *engine.Engine, s *Subscription, base string) error {
	id := newUUID()
	m := confirmation{
		Type: TypeConfirmation, MessageID: id, Token: s.Push.Token, TopicArn: s.Ref.Topic.ARN(),
		Message:          "You have chosen to subscribe to the topic " + s.Ref.Topic.ARN() + ".\nTo confirm the subscription, visit the SubscribeURL included in this message.",
		SubscribeURL:     SubscribeURL(base, s.Ref.Topic, s.Push.Token),
		Timestamp:        c.clock().UTC().Format("2006-01-02T15:04:05.000Z"),
		SignatureVersion: "1",
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(m)
	_, err := eng.SendMessage(ctx, PushQueue(s.Ref), engine.SendInput{
		Body:       strings.TrimRight(b.String(), "\n"),
		Attributes: pushAttrs(TypeConfirmation, id),
		SenderID:   s.Ref.Topic.Account,
	})
	if err != nil {
		return fmt.Errorf("queue subscription confirmation: %w", err)
	}
	return nil
}

func pushAttrs(typ, id string) msgattr.Attributes {
	return msgattr.Attributes{
		PushAttrType:      {DataType: "String", StringValue: typ},
		PushAttrMessageID: {DataType: "String", StringValue: id},
	}
}

// pushDelivery is message id's delivery to push subscription s: the
// HTTP body (raw, or SNS's notification) into its queue.
func pushDelivery(topic Ref, s *Subscription, id string, m Message, now time.Time) engine.Delivery {
	body := m.Body
	if !s.RawDelivery() {
		body = Envelope(topic, s.Ref, id, m, now)
	}
	return engine.Delivery{Queue: PushQueue(s.Ref), Message: engine.SendInput{
		Body: body, Attributes: pushAttrs(TypeNotification, id), SenderID: topic.Account,
	}}
}

// Confirm confirms the pending subscription of topic that token was
// issued to, and returns it; authenticated says the call was signed by
// the topic's owner. A token confirms once and stays good for repeated
// calls; an unknown or expired one is InvalidParameter "Invalid token".
func (c *Catalog) Confirm(ctx context.Context, topic Ref, token string, authenticated bool) (*Subscription, error) {
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
			if s.Push == nil || subtle.ConstantTimeCompare([]byte(s.Push.Token), []byte(token)) != 1 {
				continue
			}
			if !s.Push.Pending {
				out = s
				return nil
			}
			if c.clock().Sub(time.UnixMilli(s.Push.TokenIssued)) > tokenLifetime {
				break
			}
			s.Push.Pending, s.Push.Authenticated = false, authenticated
			out = s
			return writeSub(tx, s)
		}
		return invalidParameter("Invalid token")
	})
	return out, err
}

// Pending reports whether the subscription waits for its confirmation.
func (s *Subscription) Pending() bool { return s.Push != nil && s.Push.Pending }

// ReadForPush reads a push subscription and its topic for a worker:
// (nil, nil, nil) when the subscription is gone.
func (c *Catalog) ReadForPush(ctx context.Context, ref SubRef) (*Topic, *Subscription, error) {
	var (
		t *Topic
		s *Subscription
	)
	err := c.store.View(ctx, func(r kv.Reader) (err error) {
		s, err = readSub(ctx, r, ref)
		if sqserrIs(err, CodeNotFound) {
			s = nil
			return nil
		}
		if err != nil {
			return err
		}
		t, err = readTopic(ctx, r, ref.Topic)
		if sqserrIs(err, CodeNotFound) {
			s = nil
			return nil
		}
		return err
	})
	if err != nil || s == nil {
		return nil, nil, err
	}
	return t, s, nil
}
