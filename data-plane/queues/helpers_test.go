package queues_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

var ctx = context.Background()

// fakeClock is a clock tests move by hand.
type fakeClock struct{ ms atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ms.Store(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC).UnixMilli())
	return c
}

func (c *fakeClock) Now() time.Time       { return time.UnixMilli(c.ms.Load()) }
func (c *fakeClock) AdvanceSeconds(s int) { c.ms.Add(int64(s) * 1000) }

// forEachDriver runs test on both kv drivers with a fresh catalog over
// the store and a fake clock.
func forEachDriver(t *testing.T, test func(t *testing.T, c *queues.Catalog, s kv.Store, clock *fakeClock)) {
	kvtest.ForEachDriver(t, func(t *testing.T, s kv.Store) {
		clock := newFakeClock()
		test(t, queues.New(s, clock.Now), s, clock)
	})
}

func ref(name string) queues.Ref {
	return queues.Ref{Account: "111122223333", Region: "us-east-1", Name: name}
}

func mustCreate(t testing.TB, c *queues.Catalog, name string, attrs map[string]string) queues.Ref {
	t.Helper()
	r := ref(name)
	if _, err := c.Create(ctx, r, attrs, nil); err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return r
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	var ee *sqserr.Error
	if !errors.As(err, &ee) || ee.Code != code {
		t.Fatalf("want error %s, got %v", code, err)
	}
}
