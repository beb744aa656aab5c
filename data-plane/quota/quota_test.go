package quota_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/quota"
	"github.com/sluice-mq/sluice/tenants"
)

type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// count offers calls every step for span and counts those allowed.
func count(l *quota.Limiter, c *clock, account string, q tenants.Quotas, action string, span, step time.Duration) int {
	n := 0
	for t := time.Duration(0); t < span; t += step {
		if l.Allow(account, q, action) {
			n++
		}
		c.advance(step)
	}
	return n
}

func TestRateAndBurst(t *testing.T) {
	c := &clock{}
	c.ns.Store(time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC).UnixNano())
	l := quota.New(c.now)
	q := tenants.Quotas{SendPerSecond: 100, ReceivePerSecond: 10, AdminPerSecond: 5}
	// Offered at 1,000/s for 10 s: a full bucket (100) plus 100/s.
	if got := count(l, c, "a", q, "SendMessageBatch", 10*time.Second, time.Millisecond); got < 1090 || got > 1110 {
		t.Fatalf("allowed %d sends in 10 s at 100/s, want ~1100", got)
	}
	// Classes and tenants have their own buckets.
	if !l.Allow("a", q, "ReceiveMessage") || !l.Allow("b", q, "SendMessage") {
		t.Fatal("one bucket starved another")
	}
	// Recovery: after a second's rest, a second's worth is there again.
	c.advance(time.Second)
	if got := count(l, c, "a", q, "SendMessage", time.Millisecond, time.Microsecond); got != 100 {
		t.Fatalf("after a rest %d sends allowed at once, want the burst of 100", got)
	}
	// A quota change applies to the existing bucket.
	q.SendPerSecond = 10
	c.advance(10 * time.Second)
	if got := count(l, c, "a", q, "SendMessage", 10*time.Second, time.Millisecond); got < 105 || got > 115 {
		t.Fatalf("after lowering to 10/s, %d allowed in 10 s, want ~110", got)
	}
	// Zero is unlimited; unknown actions are admin.
	if got := count(l, c, "a", tenants.Quotas{}, "DeleteMessage", time.Second, time.Millisecond); got != 1000 {
		t.Fatalf("unlimited allowed %d of 1000", got)
	}
	if quota.ClassOf("TagQueue") != quota.Admin || quota.ClassOf("ChangeMessageVisibilityBatch") != quota.Delete {
		t.Fatal("action classes")
	}
}
