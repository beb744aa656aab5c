// Package admission is the one gate every SQS call and every control-plane
// queue call passes, after authentication and before the queue engine, the
// way etcd wraps its applier in quota and auth decorators. It makes every
// quota decision — the tenant's request rates, queue count, message size,
// stored bytes and messages in flight — and reports each call, once it is
// done, to a Meter: the hook usage metering counts with.
//
// The API layers keep only their wire formats: they Admit a call, tell it
// what they are about to do (CheckMessage, ReserveStored, the receive's
// ClaimAdmitter, AdmitQueue) and close it with Done.
package admission

import (
	"context"
	"fmt"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/quota"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/tenants"
)

// Tenant is the account a call acts for, with the quotas in force for it
// (zero fields are unlimited).
type Tenant struct {
	Account string
	Quotas  tenants.Quotas
}

// Counts reads the figures the count quotas compare against; the queue
// engine provides them. Each read may scan, so the gate keeps what it read
// for a while (reserve.go).
type Counts interface {
	InFlight(ctx context.Context, ref queues.Ref) (int64, error)
	StoredBytes(ctx context.Context, account string) (int64, error)
}

// Options configures a Gate. Zero values mean none.
type Options struct {
	// Counts backs the in-flight and stored-bytes quotas; a node without
	// a queue engine (the control plane) leaves it nil and admits no
	// message calls.
	Counts Counts
	// Meter is told of every call; nil counts nothing.
	Meter Meter
	// Clock returns the current time; nil is time.Now.
	Clock func() time.Time
}

// Gate is a node's admission layer. It is safe for concurrent use.
type Gate struct {
	limits   *quota.Limiter
	counts   Counts
	meter    Meter
	clock    func() time.Time
	inFlight reservedCounts[queues.Ref]
	stored   reservedCounts[string]
}

// New returns a Gate.
func New(opts Options) *Gate {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	return &Gate{
		limits:   quota.New(opts.Clock),
		counts:   opts.Counts,
		meter:    opts.Meter,
		clock:    opts.Clock,
		inFlight: reservedCounts[queues.Ref]{maxAge: inFlightMaxAge},
		stored:   reservedCounts[string]{maxAge: storedMaxAge},
	}
}

// Admit starts a call of action (an SQS action name; control-plane routes
// use the SQS action they stand for) for t. It refuses the call with
// RequestThrottled when t's rate quota for the action's class is used up;
// a refused call is metered as throttled.
func (g *Gate) Admit(api API, t Tenant, action string) (*Call, error) {
	c := &Call{g: g, tenant: t, usage: Usage{API: api, Action: action, Account: t.Account}}
	if !g.limits.Allow(t.Account, t.Quotas, action) {
		c.usage.Throttled = true
		err := refuse(CodeThrottled, "Rate exceeded for %s: the account's quota is exhausted for now.", action)
		c.Done(err.Code)
		return nil, err
	}
	return c, nil
}

// Unauthenticated meters a call of action refused by authentication
// although it named an access key of account (a bad signature, a wrong
// region, a suspended tenant). Calls whose key is unknown name no
// account and are not metered.
func (g *Gate) Unauthenticated(api API, account, action string) {
	if g.meter != nil && account != "" {
		g.meter.Count(Usage{API: api, Action: action, Account: account, Unauthenticated: true})
	}
}

// Call is one admitted call on its way through. Its methods are for the
// one goroutine serving the call.
type Call struct {
	g      *Gate
	tenant Tenant
	usage  Usage
	done   bool
}

// Queue names the queue the call acts on, for metering.
func (c *Call) Queue(ref queues.Ref) {
	c.usage.Queue = ref.Name
	c.usage.Region = ref.Region
}

// CheckMessage refuses a message of size bytes (body plus attributes, as
// SQS counts a message's size) over the tenant's message-size quota.
func (c *Call) CheckMessage(size int) error {
	if limit := c.tenant.Quotas.MaxMessageBytes; limit > 0 && size > limit {
		return refuse(sqserr.CodeInvalidParameterValue, "One or more parameters are invalid. Reason: Message must be shorter than %d bytes (the account's quota).", limit)
	}
	return nil
}

// ReserveStored admits a send of bytes (bodies plus attributes) under the
// tenant's stored-bytes quota, all or nothing: OverLimit when they do not
// fit. Settle the reservation with what was stored; the bytes settled are
// metered as the call's ingress.
func (c *Call) ReserveStored(ctx context.Context, bytes int64) (Reservation, error) {
	limit := c.tenant.Quotas.MaxStoredBytes
	if limit <= 0 {
		return Reservation{Granted: bytes, settle: c.addIn}, nil
	}
	if c.g.counts == nil {
		return Reservation{}, fmt.Errorf("admission: stored-bytes quota on a gate without counts")
	}
	account := c.tenant.Account
	r, used, ok, err := c.g.stored.reserve(ctx, account, c.g.clock(), bytes, limit, false, func() (int64, error) {
		return c.g.counts.StoredBytes(ctx, account)
	})
	if err != nil {
		return Reservation{}, fmt.Errorf("read stored bytes of %s: %w", account, err)
	}
	if !ok {
		return Reservation{}, refuse(sqserr.CodeOverLimit, "The account stores %d bytes of messages; its quota is %d.", used, limit)
	}
	settle := r.settle
	r.settle = func(n int64) { settle(n); c.addIn(n) }
	return r, nil
}

func (c *Call) addIn(n int64) { c.usage.InBytes += n }

// Delivered meters bytes (bodies plus attributes) handed to the caller.
func (c *Call) Delivered(bytes int64) { c.usage.OutBytes += bytes }

// ClaimAdmitter admits a receive's claim under the tenant's in-flight
// quota per queue; pass it as engine.ReceiveInput.Admit.
func (c *Call) ClaimAdmitter() engine.ClaimAdmitter {
	if c.tenant.Quotas.MaxInFlightPerQueue <= 0 {
		return nil
	}
	return inFlightGate{c}
}

type inFlightGate struct{ c *Call }

// AdmitClaim grants what is left of the quota, up to want: a receive
// claims fewer messages rather than none; OverLimit when nothing is left.
// The room is reserved under the node's lock, so concurrent receives on a
// node cannot pass the quota together.
func (g inFlightGate) AdmitClaim(ctx context.Context, ref queues.Ref, want int) (int, func(int), error) {
	c := g.c
	if c.g.counts == nil {
		return 0, nil, fmt.Errorf("admission: in-flight quota on a gate without counts")
	}
	limit := int64(c.tenant.Quotas.MaxInFlightPerQueue)
	r, used, ok, err := c.g.inFlight.reserve(ctx, ref, c.g.clock(), int64(want), limit, true, func() (int64, error) {
		return c.g.counts.InFlight(ctx, ref)
	})
	if err != nil {
		return 0, nil, fmt.Errorf("read in-flight count of %s: %w", ref.Name, err)
	}
	if !ok {
		return 0, nil, refuse(sqserr.CodeOverLimit, "The queue has %d messages in flight, the account's quota of %d.", used, limit)
	}
	return int(r.Granted), func(claimed int) { r.Settle(int64(claimed)) }, nil
}

// AdmitQueue decides whether the tenant may create one more queue when it
// has existing ones; the catalog calls it inside the create transaction,
// which is what makes the count exact under concurrent creates.
func (c *Call) AdmitQueue(existing int64) error {
	if limit := c.tenant.Quotas.MaxQueues; limit > 0 && existing >= int64(limit) {
		return refuse(sqserr.CodeOverLimit, "The account has reached its quota of %d queues.", limit)
	}
	return nil
}

// Done closes the call with its outcome, the SQS error code it was
// answered with ("" for success), and meters it. Later calls do nothing.
func (c *Call) Done(code string) {
	if c == nil || c.done {
		return
	}
	c.done = true
	c.usage.Code = code
	if c.g.meter != nil {
		c.g.meter.Count(c.usage)
	}
}

// CodeThrottled is the SQS error code of a call over its rate quota.
const CodeThrottled = "RequestThrottled"

func refuse(code, format string, args ...any) *sqserr.Error {
	return sqserr.Errorf(code, format, args...)
}
