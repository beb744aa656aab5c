package engine_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

// newEngineWith is newEngine with options of the test's own.
func newEngineWith(t testing.TB, store kv.Store, opts engine.Options) *engine.Engine {
	t.Helper()
	opts.ReceiptKey = receiptKey
	e, err := engine.New(store, opts)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariantsAtEnd(t, store, e)
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// sendNumbered sends bodies from, from+1, … through e, in batches of 10
// (each batch's messages in order).
func sendNumbered(t testing.TB, e *engine.Engine, q queues.Ref, from, n int) {
	t.Helper()
	for i := from; i < from+n; i += 10 {
		in := make([]engine.SendInput, 0, 10)
		for j := i; j < min(i+10, from+n); j++ {
			in = append(in, engine.SendInput{Body: strconv.Itoa(j)})
		}
		if _, err := e.SendMessageBatch(ctx, q, in); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLoneReceivesReuseTheirScans: a receive alone on a standard queue on
// TiKV takes from the shard windows the last one scanned and reuses the
// queue record it read, so draining a backlog costs a scan now and then,
// not one of every shard per receive, and no record read per receive —
// and the messages still come out oldest first.
func TestLoneReceivesReuseTheirScans(t *testing.T) {
	store, counts := kvtest.OpenMockTiKVCounted(t)
	e := newEngineWith(t, store, engine.Options{PollInterval: time.Second})
	q := mustCreate(t, e, "kept", nil)
	sendNumbered(t, e, q, 0, 300)
	next := 0
	take := func() {
		t.Helper()
		msgs := receive(t, e, q, 10)
		if len(msgs) != 10 {
			t.Fatalf("received %d of 10", len(msgs))
		}
		for _, m := range msgs {
			if m.Body != strconv.Itoa(next) {
				t.Fatalf("received %s, want %d: not oldest first", m.Body, next)
			}
			next++
		}
	}
	take() // scans every shard: nothing kept yet
	before := counts.Snapshot()
	const receives = 20
	for range receives {
		take()
	}
	after := counts.Snapshot()
	delta := func(kind string) int64 { return after[kind] - before[kind] }
	total := int64(0)
	for kind := range after {
		total += delta(kind)
	}
	// Before: 8 scans and a record read per receive (160 and 20), 1.21
	// requests per message in all.
	if delta("Scan") > receives/2 || delta("Get") > 5 {
		t.Errorf("%d receives of 10 sent %d scans and %d gets, want at most %d and 5", receives, delta("Scan"), delta("Get"), receives/2)
	}
	if perMsg := float64(total) / (receives * 10); perMsg > 0.5 {
		t.Errorf("receive cost %.2f requests per message (%v), want at most 0.5", perMsg, after)
	}
}

// TestKeptWindowsMissNoMessage: two nodes drain one queue with lone
// receives from their own kept windows, each taking messages the other's
// windows hold, while both send more and a third node whose clock runs
// 2 s behind sends messages that land below every window. Every message
// is received exactly once (visibility timeouts outlast the test).
func TestKeptWindowsMissNoMessage(t *testing.T) {
	store := kvtest.OpenMockTiKV(t)
	a := newEngineWith(t, store, engine.Options{PollInterval: 50 * time.Millisecond})
	b := newEngineWith(t, store, engine.Options{PollInterval: 50 * time.Millisecond})
	slow := newEngineWith(t, store, engine.Options{Clock: func() time.Time { return time.Now().Add(-2 * time.Second) }})
	q := mustCreate(t, a, "drain", map[string]string{"VisibilityTimeout": "600"})
	sendNumbered(t, a, q, 0, 200)
	sent := 200
	got := map[string]string{} // body -> node that received it
	deadline := time.Now().Add(20 * time.Second)
	for round := 0; len(got) < sent || round < 40; round++ {
		if time.Now().After(deadline) {
			t.Fatalf("after %d rounds, %d of %d messages received", round, len(got), sent)
		}
		switch {
		case round < 40 && round%4 == 1:
			sendNumbered(t, b, q, sent, 5)
			sent += 5
		case round < 40 && round%4 == 3:
			if _, err := slow.SendMessage(ctx, q, engine.SendInput{Body: strconv.Itoa(sent)}); err != nil {
				t.Fatal(err)
			}
			sent++
		}
		empty := true
		for node, e := range map[string]*engine.Engine{"a": a, "b": b} {
			for _, m := range receive(t, e, q, 10) {
				empty = false
				if prev, dup := got[m.Body]; dup {
					t.Fatalf("message %s received twice, by %s and %s", m.Body, prev, node)
				}
				got[m.Body] = node
			}
		}
		if empty {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if len(got) != sent {
		t.Fatalf("received %d of %d messages", len(got), sent)
	}
}

// TestClaimSeesThisNodesQueueChangesAtOnce: a receive reuses a recent
// queue record, but never across a change made through its own node: a
// purge's messages are gone and a new visibility timeout holds at once.
func TestClaimSeesThisNodesQueueChangesAtOnce(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		e := newEngineWith(t, store, engine.Options{PollInterval: time.Second})
		q := mustCreate(t, e, "changes", nil)
		sendNumbered(t, e, q, 0, 30)
		zero := engine.ReceiveInput{MaxNumberOfMessages: 10, VisibilityTimeout: intp(0), WaitTimeSeconds: intp(0)}
		if msgs, err := e.ReceiveMessage(ctx, q, zero); err != nil || len(msgs) != 10 {
			t.Fatalf("receive: %d, %v", len(msgs), err)
		}
		if err := e.PurgeQueue(ctx, q); err != nil {
			t.Fatal(err)
		}
		mustSend(t, e, q, "after purge")
		msgs := receive(t, e, q, 10)
		if len(msgs) != 1 || msgs[0].Body != "after purge" {
			t.Fatalf("after the purge received %d messages (%v), want only the one sent after it", len(msgs), bodiesOf(msgs))
		}
		if err := e.Catalog().SetAttributes(ctx, q, map[string]string{"VisibilityTimeout": "0"}); err != nil {
			t.Fatal(err)
		}
		mustSend(t, e, q, "zero")
		if msgs := receive(t, e, q, 1); len(msgs) != 1 || msgs[0].Body != "zero" {
			t.Fatalf("received %v, want zero", bodiesOf(msgs))
		}
		if msgs := receive(t, e, q, 1); len(msgs) != 1 || msgs[0].Body != "zero" {
			t.Fatalf("with VisibilityTimeout 0 set, received %v, want zero again", bodiesOf(msgs))
		}
	})
}

func bodiesOf(msgs []engine.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Body
	}
	return out
}
