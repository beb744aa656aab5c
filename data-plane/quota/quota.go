// Package quota enforces tenants' API rate quotas on a data-plane node:
// one token bucket per tenant and action class, refilled at the quota's
// rate, holding one second's worth. The quotas come with every request
// (resolved with the access key, so a change reaches every node within the
// catalog's cache TTL); a bucket follows its quota when it changes.
package quota

import (
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/sluice-mq/sluice/tenants"
)

// Class groups SQS actions that share a rate quota.
type Class uint8

const (
	Send    Class = iota // SendMessage, SendMessageBatch, SNS Publish, PublishBatch
	Receive              // ReceiveMessage
	Delete               // DeleteMessage(Batch), ChangeMessageVisibility(Batch)
	Admin                // every other action
	classes
)

func (c Class) String() string {
	return [...]string{"send", "receive", "delete", "admin"}[c]
}

// ClassOf returns the class of an SQS action.
func ClassOf(action string) Class {
	switch action {
	case "SendMessage", "SendMessageBatch", "Publish", "PublishBatch": // SNS publishes send
		return Send
	case "ReceiveMessage", "Deliver": // Deliver: a topic's push to an http endpoint
		return Receive
	case "DeleteMessage", "DeleteMessageBatch", "ChangeMessageVisibility", "ChangeMessageVisibilityBatch":
		return Delete
	}
	return Admin
}

func perSecond(q tenants.Quotas, c Class) float64 {
	switch c {
	case Send:
		return q.SendPerSecond
	case Receive:
		return q.ReceivePerSecond
	case Delete:
		return q.DeletePerSecond
	}
	return q.AdminPerSecond
}

// maxBuckets bounds the buckets a node keeps; past it, it starts over
// (every tenant gets a full bucket: a brief over-admission, never a
// refusal).
const maxBuckets = 100_000

type bucketKey struct {
	account string
	class   Class
}

// Limiter holds a node's buckets.
type Limiter struct {
	mu      sync.Mutex
	buckets map[bucketKey]*rate.Limiter
	clock   func() time.Time
}

// New returns a Limiter; clock may be nil (time.Now).
func New(clock func() time.Time) *Limiter {
	if clock == nil {
		clock = time.Now
	}
	return &Limiter{buckets: map[bucketKey]*rate.Limiter{}, clock: clock}
}

// Allow takes a token for one call of action by account under quotas q,
// and reports whether there was one. A rate of 0 means unlimited.
func (l *Limiter) Allow(account string, q tenants.Quotas, action string) bool {
	class := ClassOf(action)
	r := perSecond(q, class)
	if r <= 0 {
		return true
	}
	burst := max(1, int(r))
	k := bucketKey{account, class}
	l.mu.Lock()
	b, ok := l.buckets[k]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			l.buckets = map[bucketKey]*rate.Limiter{}
		}
		b = rate.NewLimiter(rate.Limit(r), burst)
		l.buckets[k] = b
	}
	l.mu.Unlock()
	now := l.clock()
	if b.Limit() != rate.Limit(r) || b.Burst() != burst {
		b.SetLimitAt(now, rate.Limit(r))
		b.SetBurstAt(now, burst)
	}
	return b.AllowN(now, 1)
}
