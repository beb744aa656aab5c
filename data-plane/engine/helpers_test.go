package engine_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
	"github.com/sluice-mq/sluice/internal/kv/local"
)

// openLocal opens a local store in a temporary directory, closed when the
// test ends: for tests of what only the local store does.
func openLocal(t testing.TB, opts local.Options) *local.Store {
	t.Helper()
	store, err := local.Open(filepath.Join(t.TempDir(), "kv"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	return store
}

// fakeClock is a clock tests move by hand.
type fakeClock struct{ ms atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ms.Store(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC).UnixMilli())
	return c
}

func (c *fakeClock) Now() time.Time          { return time.UnixMilli(c.ms.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ms.Add(d.Milliseconds()) }
func (c *fakeClock) AdvanceSeconds(s int)    { c.Advance(time.Duration(s) * time.Second) }

var receiptKey = []byte("0123456789abcdef0123456789abcdef")

func newEngine(t testing.TB, store kv.Store, clock func() time.Time) *engine.Engine {
	t.Helper()
	e, err := engine.New(store, engine.Options{Clock: clock, ReceiptKey: receiptKey, PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	checkInvariantsAtEnd(t, store, e)
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// forEachDriver runs test on both kv drivers with a fresh engine and a
// fake clock.
func forEachDriver(t *testing.T, test func(t *testing.T, e *engine.Engine, clock *fakeClock)) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		clock := newFakeClock()
		test(t, newEngine(t, store, clock.Now), clock)
	})
}

var ctx = context.Background()

func ref(name string) queues.Ref {
	return queues.Ref{Account: "111122223333", Region: "us-east-1", Name: name}
}

func mustCreate(t testing.TB, e *engine.Engine, name string, attrs map[string]string) queues.Ref {
	t.Helper()
	r := ref(name)
	if _, err := e.Catalog().Create(ctx, r, attrs, nil); err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return r
}

func mustSend(t testing.TB, e *engine.Engine, r queues.Ref, body string) engine.SendResult {
	t.Helper()
	res, err := e.SendMessage(ctx, r, engine.SendInput{Body: body})
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	return res
}

// mustSendToGroup sends body to the FIFO queue r in group.
func mustSendToGroup(t testing.TB, e *engine.Engine, r queues.Ref, group, body string) engine.SendResult {
	t.Helper()
	res, err := e.SendMessage(ctx, r, engine.SendInput{Body: body, MessageGroupID: &group})
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	return res
}

func receive(t testing.TB, e *engine.Engine, r queues.Ref, max int) []engine.Message {
	t.Helper()
	zero := 0
	msgs, err := e.ReceiveMessage(ctx, r, engine.ReceiveInput{MaxNumberOfMessages: max, WaitTimeSeconds: &zero, AttributeNames: []string{"All"}, MessageAttributeNames: []string{"All"}})
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	return msgs
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	var ee *sqserr.Error
	if !errors.As(err, &ee) || ee.Code != code {
		t.Fatalf("want error %s, got %v", code, err)
	}
}

func intp(v int) *int { return &v }
