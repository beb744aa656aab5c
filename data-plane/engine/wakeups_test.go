package engine_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

func newNode(t testing.TB, store kv.Store, poll time.Duration) *engine.Engine {
	t.Helper()
	e, err := engine.New(store, engine.Options{ReceiptKey: receiptKey, PollInterval: poll})
	if err != nil {
		t.Fatal(err)
	}
	checkInvariantsAtEnd(t, store, e)
	t.Cleanup(func() { _ = e.Close() })
	return e
}

type polled struct {
	msgs []engine.Message
	at   time.Time
	err  error
}

// longPoll starts a 20 s receive and returns where its result will arrive.
func longPoll(ctx context.Context, e *engine.Engine, q queues.Ref) <-chan polled {
	out := make(chan polled, 1)
	go func() {
		msgs, err := e.ReceiveMessage(ctx, q, engine.ReceiveInput{WaitTimeSeconds: intp(20)})
		out <- polled{msgs, time.Now(), err}
	}()
	return out
}

// await waits for a long poll's result, failing the test after within.
func await(t *testing.T, what string, ch <-chan polled, within time.Duration) polled {
	t.Helper()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("%s: %v", what, r.err)
		}
		return r
	case <-time.After(within):
		t.Fatalf("%s: no message within %v", what, within)
		return polled{}
	}
}

// Receivers long-polling on node B get every message that becomes
// receivable through node A — sent, sent with a delay, released by a
// visibility change, or visible again when its timeout passes — each
// within about a PollInterval of when it became receivable, long before
// their 20 s wait ends. Without the recent-changes index they would only
// find them when the wait ends.
func TestWaitersOnAnotherNodeMissNothing(t *testing.T) {
	const poll = 50 * time.Millisecond
	// The bound protects "woken within about a PollInterval, long before the
	// 20 s wait ends"; it is wall-clock, so generous for a loaded 2-core
	// machine and the tikv mock, yet far below the wait.
	bound := 20*poll + 4*time.Second
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		a, b := newNode(t, store, poll), newNode(t, store, poll)
		q := mustCreate(t, a, "q", nil)
		other := mustCreate(t, a, "other", nil) // waiters on a queue nothing is sent to
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		for range 3 {
			_ = longPoll(ctx, b, other)
		}
		waitFor := func(what string) polled {
			t.Helper()
			r := await(t, what, longPoll(ctx, b, q), bound+2*time.Second)
			if len(r.msgs) != 1 {
				t.Fatalf("%s: got %d messages", what, len(r.msgs))
			}
			return r
		}

		// A plain send.
		sent := make(chan time.Time, 1)
		go func() { time.Sleep(200 * time.Millisecond); mustSend(t, a, q, "plain"); sent <- time.Now() }()
		r := waitFor("send")
		if lag := r.at.Sub(<-sent); lag > bound {
			t.Errorf("send: woke %v after it, bound %v", lag, bound)
		} else {
			t.Logf("send: woke %v after it", lag)
		}
		if r.msgs[0].Body != "plain" {
			t.Fatalf("send: got %q", r.msgs[0].Body)
		}

		// A delayed send: due 1 s after it.
		go func() {
			time.Sleep(100 * time.Millisecond)
			if _, err := a.SendMessage(ctx, q, engine.SendInput{Body: "delayed", DelaySeconds: intp(1)}); err != nil {
				t.Error(err)
			}
			sent <- time.Now().Add(time.Second)
		}()
		r = waitFor("delayed send")
		if lag := r.at.Sub(<-sent); lag > bound {
			t.Errorf("delayed send: woke %v after it was due, bound %v", lag, bound)
		} else {
			t.Logf("delayed send: woke %v after it was due", lag)
		}

		// Received on A for 30 s, then released with a visibility change of
		// 1 s, then left to time out.
		mustSend(t, a, q, "changed")
		got := receiveWithTimeout(t, a, q, 30)
		go func() {
			time.Sleep(100 * time.Millisecond)
			if err := a.ChangeMessageVisibility(ctx, q, got.ReceiptHandle, 1); err != nil {
				t.Error(err)
			}
			sent <- time.Now().Add(time.Second)
		}()
		r = waitFor("visibility change")
		if lag := r.at.Sub(<-sent); lag > bound {
			t.Errorf("visibility change: woke %v after it was due, bound %v", lag, bound)
		} else {
			t.Logf("visibility change: woke %v after it was due", lag)
		}
	})
}

func receiveWithTimeout(t *testing.T, e *engine.Engine, q queues.Ref, timeout int) engine.Message {
	t.Helper()
	msgs, err := e.ReceiveMessage(ctx, q, engine.ReceiveInput{VisibilityTimeout: &timeout, WaitTimeSeconds: intp(0)})
	if err != nil || len(msgs) != 1 {
		t.Fatalf("receive: %v %v", msgs, err)
	}
	return msgs[0]
}

// Many receivers waiting on one queue of a node cost that node no more
// store work than one: while nothing happens, only the reader of recent
// changes reads the store, once per PollInterval, where every waiter used
// to re-read the queue on its own. Sends through another node make the
// watcher look at the queue and wake the waiters, who race for each
// message.
func TestManyWaitersShareOneLookPerInterval(t *testing.T) {
	const (
		poll    = 50 * time.Millisecond
		waiters = 40
		sends   = 5
	)
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		ops := &storeOps{Store: store}
		a, b := newNode(t, store, poll), newNode(t, ops, poll)
		q := mustCreate(t, a, "q", nil)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		results := make(chan polled, waiters)
		var wg sync.WaitGroup
		for range waiters {
			wg.Add(1)
			go func() { defer wg.Done(); results <- <-longPoll(ctx, b, q) }()
		}
		time.Sleep(500 * time.Millisecond) // every waiter waits

		check := func(what string, start time.Time, before storeOpsSnapshot, perInterval, extra float64) {
			t.Helper()
			secs := time.Since(start).Seconds()
			txns := float64(ops.snapshot().txns - before.txns)
			limit := perInterval*secs/poll.Seconds() + extra
			t.Logf("%s, %d waiters, %.1fs: %.0f transactions on their node (limit %.0f)", what, waiters, secs, txns, limit)
			if txns > limit {
				t.Errorf("%s: %.0f transactions, want at most %.0f", what, txns, limit)
			}
		}
		before, start := ops.snapshot(), time.Now()
		time.Sleep(time.Second)
		check("idle", start, before, 1, 10)

		before, start = ops.snapshot(), time.Now()
		for i := range sends {
			time.Sleep(200 * time.Millisecond)
			mustSend(t, a, q, fmt.Sprint(i))
		}
		for i := range sends {
			r := await(t, fmt.Sprintf("message %d", i), results, 5*time.Second)
			if len(r.msgs) != 1 {
				t.Fatalf("message %d: got %v", i, r.msgs)
			}
		}
		// Per interval a read of recent changes and at most one look; per
		// message a receive, maybe a claim, by each waiter.
		check("5 sends", start, before, 2, sends*2*(waiters+1)+10)
		cancel()
		wg.Wait()
	})
}

// A waiter that gives up (its context ends) leaves nothing behind: the
// queue's watcher stops with its last waiter, and the reader of recent
// changes with the last watcher.
func TestWatcherStopsWithItsLastWaiter(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, _ *fakeClock) {
		q1, q2 := mustCreate(t, e, "q1", nil), mustCreate(t, e, "q2", nil)
		ctx1, cancel1 := context.WithCancel(context.Background())
		ctx2, cancel2 := context.WithCancel(context.Background())
		defer cancel2()
		var polls []<-chan polled
		for range 5 {
			polls = append(polls, longPoll(ctx1, e, q1))
		}
		last := longPoll(ctx2, e, q2)
		waitActivity(t, e, 2, true)
		cancel1()
		for _, p := range polls {
			if r := <-p; !errors.Is(r.err, context.Canceled) { // from the wait, or from a store call in flight
				t.Fatalf("cancelled poll: %v %v", r.msgs, r.err)
			}
		}
		waitActivity(t, e, 1, true)
		cancel2()
		<-last
		waitActivity(t, e, 0, false)
	})
}

// waitActivity waits until the engine has the watchers and reader given.
func waitActivity(t *testing.T, e *engine.Engine, watchers int, reading bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, r := e.WaitActivity()
		if n == watchers && r == reading {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d watchers, reader running %v; want %d, %v", n, r, watchers, reading)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A queue's scan floors are written while its messages are consumed, and
// no longer once it has been idle a while, however often it is polled:
// an idle long poll writes nothing.
func TestIdleQueueFloorsAreNotRewritten(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		ops := &storeOps{Store: store}
		clock := newFakeClock()
		e := newEngine(t, ops, clock.Now)
		q := mustCreate(t, e, "q", nil)
		flushFloors := func() int64 {
			t.Helper()
			before := ops.floorWrites.Load()
			if err := e.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			return ops.floorWrites.Load() - before
		}
		mustSend(t, e, q, "m")
		for _, m := range receive(t, e, q, 1) {
			if err := e.DeleteMessage(ctx, q, m.ReceiptHandle); err != nil {
				t.Fatal(err)
			}
		}
		clock.AdvanceSeconds(6) // the floor passes the consumed entry
		receive(t, e, q, 1)
		if n := flushFloors(); n == 0 {
			t.Fatal("the floor that passed a consumed entry was not written")
		}
		clock.AdvanceSeconds(120)
		receive(t, e, q, 1)
		flushFloors() // the floor has followed the clock since: written once more at most
		for range 3 {
			clock.AdvanceSeconds(1)
			receive(t, e, q, 1)
			if n := flushFloors(); n != 0 {
				t.Fatalf("idle queue: %d floors written", n)
			}
		}
	})
}

// A queue deleted by a node without an engine (the control plane: the
// catalog and a Stats) ends the long polls other nodes hold on it within
// about a PollInterval, not at the end of their 20 s wait.
func TestDeleteWithoutAnEngineEndsLongPolls(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		node := newNode(t, store, 20*time.Millisecond)
		q := ref("q")
		if _, err := node.Catalog().Create(ctx, q, nil, nil); err != nil {
			t.Fatal(err)
		}
		poll := longPoll(ctx, node, q)
		time.Sleep(100 * time.Millisecond) // the poll waits
		control := queues.New(store, nil)
		old, err := control.Delete(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if err := engine.NewStats(store, control, engine.StatsOptions{}).QueuesGone(ctx, old); err != nil {
			t.Fatal(err)
		}
		select {
		case r := <-poll:
			if len(r.msgs) != 0 {
				t.Fatalf("long poll of a deleted queue got %d messages", len(r.msgs))
			}
		case <-time.After(5 * time.Second):
			t.Fatal("long poll of a deleted queue still waits")
		}
	})
}
