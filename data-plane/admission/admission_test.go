package admission_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/admission"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/tenants"
)

// fakeCounts answers fixed figures and counts its reads.
type fakeCounts struct {
	inFlight, stored int64
	reads            atomic.Int64
}

func (f *fakeCounts) InFlight(context.Context, queues.Ref) (int64, error) {
	f.reads.Add(1)
	return f.inFlight, nil
}

func (f *fakeCounts) StoredBytes(context.Context, string) (int64, error) {
	f.reads.Add(1)
	return f.stored, nil
}

// recorder is a Meter that keeps what it is told.
type recorder struct {
	mu    sync.Mutex
	calls []admission.Usage
}

func (r *recorder) Count(u admission.Usage) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, u)
}

func (r *recorder) all() []admission.Usage {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]admission.Usage(nil), r.calls...)
}

type clock struct{ ns atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var ee *sqserr.Error
	if !errors.As(err, &ee) || ee.Code != code {
		t.Fatalf("error %v, want code %s", err, code)
	}
}

func admit(t *testing.T, g *admission.Gate, q tenants.Quotas, action string) *admission.Call {
	t.Helper()
	c, err := g.Admit(admission.SQS, admission.Tenant{Account: "111122223333", Quotas: q}, action)
	if err != nil {
		t.Fatalf("admit %s: %v", action, err)
	}
	return c
}

// TestRateQuotaThrottlesAndMeters: past the class's rate the call is
// refused with RequestThrottled and metered as throttled; classes have
// their own buckets, and the bucket refills with time.
func TestRateQuotaThrottlesAndMeters(t *testing.T) {
	clk, meter := newClock(), &recorder{}
	g := admission.New(admission.Options{Meter: meter, Clock: clk.Now})
	q := tenants.Quotas{SendPerSecond: 2, AdminPerSecond: 1}
	tenant := admission.Tenant{Account: "111122223333", Quotas: q}
	for i := range 2 {
		if _, err := g.Admit(admission.SQS, tenant, "SendMessage"); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	_, err := g.Admit(admission.SQS, tenant, "SendMessageBatch")
	wantCode(t, err, admission.CodeThrottled)
	if _, err := g.Admit(admission.ControlPlane, tenant, "CreateQueue"); err != nil {
		t.Fatalf("admin call with the send bucket empty: %v", err)
	}
	clk.Advance(time.Second)
	if _, err := g.Admit(admission.SQS, tenant, "SendMessage"); err != nil {
		t.Fatalf("send after the bucket refilled: %v", err)
	}
	calls := meter.all()
	if len(calls) != 1 || !calls[0].Throttled || calls[0].Code != admission.CodeThrottled || calls[0].Action != "SendMessageBatch" || calls[0].Account != tenant.Account {
		t.Fatalf("metered %+v, want the one throttled SendMessageBatch (admitted calls are metered when done)", calls)
	}
}

func TestMessageSizeQuota(t *testing.T) {
	g := admission.New(admission.Options{})
	c := admit(t, g, tenants.Quotas{MaxMessageBytes: 1024}, "SendMessage")
	if err := c.CheckMessage(1024); err != nil {
		t.Fatalf("a message at the quota: %v", err)
	}
	wantCode(t, c.CheckMessage(1025), sqserr.CodeInvalidParameterValue)
	if err := admit(t, g, tenants.Quotas{}, "SendMessage").CheckMessage(1 << 20); err != nil {
		t.Fatalf("no quota: %v", err)
	}
}

// TestStoredBytesHoldsUnderConcurrency: 50 sends of 100 bytes at once,
// against an account storing 200 of its 1,000 bytes, admit exactly 8: the
// reservations are taken under the gate's lock, not checked against a count
// every caller read before any of them added to it.
func TestStoredBytesHoldsUnderConcurrency(t *testing.T) {
	counts := &fakeCounts{stored: 200}
	g := admission.New(admission.Options{Counts: counts, Clock: newClock().Now})
	q := tenants.Quotas{MaxStoredBytes: 1000}
	var (
		wg       sync.WaitGroup
		admitted atomic.Int64
		refused  atomic.Int64
	)
	for range 50 {
		wg.Go(func() {
			c := admit(t, g, q, "SendMessage")
			r, err := c.ReserveStored(context.Background(), 100)
			if err != nil {
				var ee *sqserr.Error
				if errors.As(err, &ee) && ee.Code == sqserr.CodeOverLimit {
					refused.Add(1)
					return
				}
				t.Error(err)
				return
			}
			admitted.Add(1)
			r.Settle(100) // stored: the room stays used
		})
	}
	wg.Wait()
	if admitted.Load() != 8 || refused.Load() != 42 {
		t.Fatalf("%d admitted, %d refused; want 8 and 42", admitted.Load(), refused.Load())
	}
	if n := counts.reads.Load(); n != 1 {
		t.Fatalf("%d reads of the stored bytes, want 1 (kept for 2 s)", n)
	}
}

// TestStoredBytesReleasedOnFailure: a send that stored nothing settles 0
// and gives its room back; the bytes settled are the call's ingress.
func TestStoredBytesReleasedOnFailure(t *testing.T) {
	meter := &recorder{}
	g := admission.New(admission.Options{Counts: &fakeCounts{stored: 0}, Meter: meter, Clock: newClock().Now})
	q := tenants.Quotas{MaxStoredBytes: 100}
	c := admit(t, g, q, "SendMessage")
	r, err := c.ReserveStored(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	r.Settle(0)
	c.Done("InternalFailure")
	c2 := admit(t, g, q, "SendMessage")
	r2, err := c2.ReserveStored(context.Background(), 100)
	if err != nil {
		t.Fatalf("room of a failed send not given back: %v", err)
	}
	r2.Settle(100)
	c2.Done("")
	_, err = admit(t, g, q, "SendMessage").ReserveStored(context.Background(), 1)
	wantCode(t, err, sqserr.CodeOverLimit)
	calls := meter.all()
	if len(calls) != 2 || calls[0].InBytes != 0 || calls[0].Code != "InternalFailure" || calls[1].InBytes != 100 || calls[1].Code != "" {
		t.Fatalf("metered %+v", calls)
	}
}

// TestInFlightGrantsWhatIsLeft: a receive of 10 from a queue with 7 of its
// 10 in flight claims 3; the next one, nothing: OverLimit. Without a quota
// the receive has no admitter at all.
func TestInFlightGrantsWhatIsLeft(t *testing.T) {
	g := admission.New(admission.Options{Counts: &fakeCounts{inFlight: 7}, Clock: newClock().Now})
	q := tenants.Quotas{MaxInFlightPerQueue: 10}
	ref := queues.Ref{Account: "111122223333", Region: "us-east-1", Name: "q"}
	a := admit(t, g, q, "ReceiveMessage").ClaimAdmitter()
	granted, done, err := a.AdmitClaim(context.Background(), ref, 10)
	if err != nil || granted != 3 {
		t.Fatalf("granted %d, %v; want 3", granted, err)
	}
	done(3)
	_, _, err = admit(t, g, q, "ReceiveMessage").ClaimAdmitter().AdmitClaim(context.Background(), ref, 1)
	wantCode(t, err, sqserr.CodeOverLimit)
	if admit(t, g, tenants.Quotas{}, "ReceiveMessage").ClaimAdmitter() != nil {
		t.Fatal("an admitter without an in-flight quota")
	}
}

// TestQueueCountDecision: the decision the catalog asks inside its create
// transaction.
func TestQueueCountDecision(t *testing.T) {
	g := admission.New(admission.Options{})
	c := admit(t, g, tenants.Quotas{MaxQueues: 2}, "CreateQueue")
	if err := c.AdmitQueue(1); err != nil {
		t.Fatalf("second queue: %v", err)
	}
	wantCode(t, c.AdmitQueue(2), sqserr.CodeOverLimit)
	if err := admit(t, g, tenants.Quotas{}, "CreateQueue").AdmitQueue(1 << 40); err != nil {
		t.Fatalf("no quota: %v", err)
	}
}

// TestDoneMetersOnce: a call is metered once, with its queue, type, bytes
// and outcome.
func TestDoneMetersOnce(t *testing.T) {
	meter := &recorder{}
	g := admission.New(admission.Options{Meter: meter})
	c := admit(t, g, tenants.Quotas{}, "ReceiveMessage")
	c.Queue(queues.Ref{Account: "111122223333", Region: "eu-west-1", Name: "orders.fifo"})
	c.Delivered(300)
	c.Delivered(12)
	c.Done("")
	c.Done("InternalFailure")
	calls := meter.all()
	if len(calls) != 1 {
		t.Fatalf("metered %d times, want once", len(calls))
	}
	u := calls[0]
	if u.API != admission.SQS || u.Action != "ReceiveMessage" || u.Queue != "orders.fifo" || u.Region != "eu-west-1" || !u.FIFO() || u.OutBytes != 312 || u.Code != "" || u.Throttled {
		t.Fatalf("metered %+v", u)
	}
}
