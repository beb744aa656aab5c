package engine_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

// woken reports which of the channels hold a wake-up, taking it.
func woken(chs ...<-chan struct{}) []bool {
	out := make([]bool, len(chs))
	for i, ch := range chs {
		select {
		case <-ch:
			out[i] = true
		default:
		}
	}
	return out
}

func wantWoken(t *testing.T, what string, got []bool, want ...bool) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s: woken %v, want %v", what, got, want)
	}
}

// A wake-up for n messages wakes the longest-waiting waiters whose wants
// cover n, not every waiter; a waiter that leaves holding a wake-up it
// has not looked after passes it on, so none is lost.
func TestWakeUpCoversItsMessagesOnly(t *testing.T) {
	l := engine.NewWaitLine()
	a, b, c := l.Join(10), l.Join(1), l.Join(1)
	chA, chB, chC := l.Arm(a), l.Arm(b), l.Arm(c)

	l.Notify(1)
	wantWoken(t, "1 message, 3 waiters", woken(chA, chB, chC), true, false, false)

	l.Arm(a) // a looked and waits again, behind b and c
	l.Notify(2)
	wantWoken(t, "2 messages, wants 1, 1, 10", woken(chA, chB, chC), false, true, true)

	l.Arm(b)
	l.Arm(c) // the line: a, b, c
	l.Notify(5)
	wantWoken(t, "5 messages, a wants 10", woken(chA, chB, chC), true, false, false)

	l.Arm(a) // the line: b, c, a
	l.Notify(1)
	l.Leave(b) // woken, and gone without looking: c gets the wake-up
	wantWoken(t, "b left holding a wake-up", woken(chA, chC), false, true)

	l.Arm(c) // the line: a, c
	l.Notify(1)
	wantWoken(t, "1 message, a first", woken(chA, chC), true, false)
	l.Leave(a) // a took its wake-up and looked: nothing to pass on
	wantWoken(t, "a left after looking", woken(chC), false)

	// A look finds 3 ready while c (wants 1) is woken and yet to look:
	// it wakes waiters for the other 2 only.
	d, e, f := l.Join(1), l.Join(1), l.Join(1)
	chD, chE, chF := l.Arm(d), l.Arm(e), l.Arm(f)
	l.Notify(1)
	wantWoken(t, "1 message, c first", woken(chC, chD, chE, chF), true, false, false, false)
	l.Found(3)
	wantWoken(t, "3 ready, c to look", woken(chC, chD, chE, chF), false, true, true, false)
	l.Arm(c)
	l.Arm(d)
	l.Arm(e) // the line: f, c, d, e; none to look
	l.Found(1)
	if len(chF) != 1 || len(chC) != 0 {
		t.Fatalf("1 ready, none to look: woken f %d, c %d; want f only", len(chF), len(chC))
	}
	l.Leave(f) // woken by the look and gone without looking: c gets it
	wantWoken(t, "f left holding a wake-up", woken(chC, chD, chE), true, false, false)
	l.Arm(c)
	l.Leave(c)
	l.Leave(e) // the line: d

	e = l.Join(1)
	chE = l.Arm(e)
	l.NotifyAll()
	wantWoken(t, "a queue purged", woken(chD, chE), true, true)
	l.Notify(1)
	wantWoken(t, "nobody armed", woken(chD, chE), false, false)
	l.Arm(d)
	wantWoken(t, "armed after the wake-up", woken(chD), false)
}

// One message sent to a queue with many idle long polls makes one of
// them look at the queue, not all: waking all made every waiter read the
// queue, or claim under the store's writer lock, after every send, while
// one claim could take the message.
func TestSendWakesWaitersForItsMessagesOnly(t *testing.T) {
	const waiters = 60
	forEachCountedNode(t, func(t *testing.T, e *engine.Engine, ops *storeOps) {
		q := mustCreate(t, e, "q", nil)
		wakeCost(t, e, ops, q, waiters, "1 message sent", func() { mustSend(t, e, q, "one") }, "one")
	})
}

// Waiters that want different numbers of messages get every message sent
// in bursts of 1 to 10 soon after it is sent, though their waits are 20 s
// and the watcher's own looks 10 s apart: no wake-up is lost, neither one
// for fewer messages than were sent nor one that reached a waiter while
// it was claiming others (it leaves with those and passes the wake-up on).
func TestWakeUpsReachEveryMessage(t *testing.T) {
	const (
		waiters  = 12
		messages = 300
		bound    = 4 * time.Second // far below the watcher's 10 s and the 20 s wait
	)
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		e := newNode(t, store, 10*time.Second)
		q := mustCreate(t, e, "q", nil)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var (
			mu   sync.Mutex
			sent = map[string]time.Time{}
			late []string
			got  int
		)
		done := make(chan struct{})
		var wg sync.WaitGroup
		for i := range waiters {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(i), 1))
				for ctx.Err() == nil {
					msgs, err := e.ReceiveMessage(ctx, q, engine.ReceiveInput{MaxNumberOfMessages: rng.IntN(10) + 1, WaitTimeSeconds: intp(20)})
					if err != nil {
						if ctx.Err() == nil {
							t.Error(err)
						}
						return
					}
					now := time.Now()
					mu.Lock()
					for _, m := range msgs {
						if lag := now.Sub(sent[m.Body]); lag > bound {
							late = append(late, fmt.Sprintf("%s after %v", m.Body, lag))
						}
						if got++; got == messages {
							close(done)
						}
					}
					mu.Unlock()
					for _, m := range msgs {
						if err := e.DeleteMessage(ctx, q, m.ReceiptHandle); err != nil && ctx.Err() == nil {
							t.Error(err)
						}
					}
				}
			})
		}
		defer wg.Wait()
		waitUntil(t, "receives wait", func() bool { return e.ArmedWaiters() >= waiters/2 })

		rng := rand.New(rand.NewPCG(7, 7))
		for n := 0; n < messages; {
			batch := make([]engine.SendInput, min(rng.IntN(10)+1, messages-n))
			mu.Lock()
			for i := range batch {
				batch[i].Body = fmt.Sprint("m", n)
				sent[batch[i].Body] = time.Now()
				n++
			}
			mu.Unlock()
			if _, err := e.SendMessageBatch(ctx, q, batch); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Duration(rng.IntN(20)) * time.Millisecond)
		}
		select {
		case <-done:
		case <-time.After(bound + 10*time.Second):
			mu.Lock()
			defer mu.Unlock()
			t.Fatalf("%d of %d messages received", got, messages)
		}
		cancel()
		mu.Lock()
		defer mu.Unlock()
		if len(late) > 0 {
			t.Errorf("%d messages received more than %v after their send: %v", len(late), bound, late)
		}
	})
}

// forEachCountedNode runs test on both drivers with a node whose store
// transactions ops counts; its PollInterval is long, so it looks at the
// store of its own accord seldom and the count is the wake-ups'.
func forEachCountedNode(t *testing.T, test func(t *testing.T, e *engine.Engine, ops *storeOps)) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		ops := &storeOps{Store: store}
		test(t, newNode(t, ops, time.Second), ops)
	})
}

// wakeCost starts waiters idle long polls on q, and once they wait and the
// watcher has settled, runs act, which should make one message receivable;
// it checks that the first poll to return got that message (body want),
// and that the store ran a few transactions from act until the others
// waited again, not one for each waiter.
func wakeCost(t *testing.T, e *engine.Engine, ops *storeOps, q queues.Ref, waiters int, what string, act func(), want string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	results := make(chan polled, waiters)
	var wg sync.WaitGroup
	for range waiters {
		wg.Go(func() { results <- <-longPoll(ctx, e, q) })
	}
	defer func() { cancel(); wg.Wait() }()
	waitUntil(t, "every receive waits", func() bool { return e.ArmedWaiters() == waiters })
	time.Sleep(1500 * time.Millisecond) // past the watcher's first look and the first read of R/

	before := ops.snapshot()
	act()
	if msgs := await(t, "the message", results, 5*time.Second).msgs; len(msgs) != 1 || msgs[0].Body != want {
		t.Fatalf("%s: the first poll got %v, want one message %q", what, msgs, want)
	}
	waitUntil(t, "the others wait again", func() bool { return e.ArmedWaiters() == waiters-1 })
	time.Sleep(200 * time.Millisecond)
	// act's commit, its R/ entry, a look, the woken waiter's read and
	// claim, perhaps one more waiter the look woke before that claim, and
	// a read of R/: not one read per waiter.
	txns := ops.snapshot().txns - before.txns
	t.Logf("%d waiters, %s: %d transactions", waiters, what, txns)
	if txns > int64(waiters/4) {
		t.Errorf("%d transactions for %s and %d waiters, want at most %d", txns, what, waiters, waiters/4)
	}
}

// A delete that releases a FIFO group makes one waiter look, not all: a
// waiter takes a released group whole, and waking every idle long poll of
// the queue made each of them read it, or claim under the store's writer
// lock, after every group's delete.
func TestFIFODeleteWakesOneWaiterPerReleasedGroup(t *testing.T) {
	const waiters = 60
	forEachCountedNode(t, func(t *testing.T, e *engine.Engine, ops *storeOps) {
		q := mustCreate(t, e, "q.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
		ctx := context.Background()
		group := "g"
		for _, body := range []string{"first", "second"} {
			if _, err := e.SendMessage(ctx, q, engine.SendInput{Body: body, MessageGroupID: &group}); err != nil {
				t.Fatal(err)
			}
		}
		first, err := e.ReceiveMessage(ctx, q, engine.ReceiveInput{})
		if err != nil || len(first) != 1 || first[0].Body != "first" {
			t.Fatalf("the first receive: %v, %v", first, err)
		}
		wakeCost(t, e, ops, q, waiters, "1 group released", func() {
			if err := e.DeleteMessage(ctx, q, first[0].ReceiptHandle); err != nil {
				t.Fatal(err)
			}
		}, "second")
	})
}

// Two groups released by one delete wake a waiter each, though each waiter
// wants 10 messages: a FIFO claim may fill itself from one group, so a
// wake-up counted in messages left the second group to the watcher's next
// look, a PollInterval later.
func TestFIFODeleteWakesAWaiterForEachReleasedGroup(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		e := newNode(t, store, time.Second)
		q := mustCreate(t, e, "q.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
		ctx, cancel := context.WithCancel(context.Background())
		for _, g := range []string{"a", "b"} {
			for i := range 12 { // more than a receive of 10 takes
				if _, err := e.SendMessage(ctx, q, engine.SendInput{Body: fmt.Sprintf("%s%d", g, i), MessageGroupID: &g}); err != nil {
					t.Fatal(err)
				}
			}
		}
		var heads []string // one receipt handle of each group, its head
		for range 2 {
			msgs, err := e.ReceiveMessage(ctx, q, engine.ReceiveInput{})
			if err != nil || len(msgs) != 1 {
				t.Fatalf("a head: %v, %v", msgs, err)
			}
			heads = append(heads, msgs[0].ReceiptHandle)
		}
		results := make(chan polled, 2)
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				msgs, err := e.ReceiveMessage(ctx, q, engine.ReceiveInput{MaxNumberOfMessages: 10, WaitTimeSeconds: intp(20)})
				results <- polled{msgs, time.Now(), err}
			})
		}
		defer func() { cancel(); wg.Wait() }()
		waitUntil(t, "both receives wait", func() bool { return e.ArmedWaiters() == 2 })
		// The watcher looked as the first waiter came, so it looks again a
		// PollInterval after that, not at once: the wake-ups must do.

		start := time.Now()
		res, err := e.DeleteMessageBatch(ctx, q, heads)
		if err != nil || res[0].Err != nil || res[1].Err != nil {
			t.Fatalf("delete: %v, %v", res, err)
		}
		for range 2 { // one receive fills itself from one group: the other needs the second
			r := await(t, "the released groups", results, 5*time.Second)
			if took := r.at.Sub(start); len(r.msgs) == 0 || took > 500*time.Millisecond {
				t.Fatalf("a receive got %d messages %v after the delete; want both groups within 500 ms (the poll interval is 1 s)", len(r.msgs), took)
			}
		}
	})
}

// A delete that makes a FIFO group's next message, still delayed, its
// head tells the queue's watcher when it is due: a long poll gets it then,
// not at the end of its 20 s wait.
func TestFIFODeleteTellsWaitersWhenTheNextMessageIsDue(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		e := newNode(t, store, 100*time.Millisecond)
		q := mustCreate(t, e, "q.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true", "DelaySeconds": "1"})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		g := "g"
		if _, err := e.SendMessage(ctx, q, engine.SendInput{Body: "first", MessageGroupID: &g}); err != nil {
			t.Fatal(err)
		}
		first := await(t, "the first message", longPoll(ctx, e, q), 5*time.Second)
		if len(first.msgs) != 1 {
			t.Fatalf("got %v", first.msgs)
		}
		if _, err := e.SendMessage(ctx, q, engine.SendInput{Body: "second", MessageGroupID: &g}); err != nil {
			t.Fatal(err)
		}
		next := longPoll(ctx, e, q)
		waitUntil(t, "the receive waits", func() bool { return e.ArmedWaiters() == 1 })
		time.Sleep(300 * time.Millisecond) // its watcher has looked: the group is in flight for 30 s
		start := time.Now()
		if err := e.DeleteMessage(ctx, q, first.msgs[0].ReceiptHandle); err != nil {
			t.Fatal(err)
		}
		r := await(t, "the second message", next, 5*time.Second) // it waits 20 s
		if len(r.msgs) != 1 || r.msgs[0].Body != "second" {
			t.Fatalf("got %v", r.msgs)
		}
		t.Logf("the delayed next message after %v", r.at.Sub(start))
	})
}

// A visibility change to 0 makes one waiter look, on a standard queue (a
// message receivable again) and on a FIFO queue (its group released), not
// every idle long poll of the queue.
func TestVisibilityZeroWakesOneWaiter(t *testing.T) {
	const waiters = 60
	for _, c := range []struct {
		name  string
		attrs map[string]string
	}{
		{"q", nil},
		{"q.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			forEachCountedNode(t, func(t *testing.T, e *engine.Engine, ops *storeOps) {
				q := mustCreate(t, e, c.name, c.attrs)
				ctx := context.Background()
				in := engine.SendInput{Body: "one"}
				if c.attrs != nil {
					g := "g"
					in.MessageGroupID = &g
				}
				if _, err := e.SendMessage(ctx, q, in); err != nil {
					t.Fatal(err)
				}
				first, err := e.ReceiveMessage(ctx, q, engine.ReceiveInput{})
				if err != nil || len(first) != 1 {
					t.Fatalf("the receive: %v, %v", first, err)
				}
				wakeCost(t, e, ops, q, waiters, "1 message visible again", func() {
					if err := e.ChangeMessageVisibility(ctx, q, first[0].ReceiptHandle, 0); err != nil {
						t.Fatal(err)
					}
				}, "one")
			})
		})
	}
}

// A receive that moves a message to its dead-letter queue wakes one of
// the dead-letter queue's long polls for it, not all of them.
func TestDeadLetterMoveWakesOneWaiter(t *testing.T) {
	const waiters = 60
	forEachCountedNode(t, func(t *testing.T, e *engine.Engine, ops *storeOps) {
		src, dlq, receiveSrc := deadLetterPair(t, e)
		mustSend(t, e, src, "poison")
		if first := receiveSrc(); len(first) != 1 {
			t.Fatalf("the first receive got %d messages", len(first))
		}
		wakeCost(t, e, ops, dlq, waiters, "1 message dead-lettered", func() {
			if again := receiveSrc(); len(again) != 0 {
				t.Fatalf("the second receive got %d messages, want the move", len(again))
			}
		}, "poison")
	})
}

// deadLetterPair creates a queue src whose messages go to dlq on their
// second receive, and receiveSrc, a receive of src that hides nothing it
// takes (visibility 0) and does not wait.
func deadLetterPair(t *testing.T, e *engine.Engine) (src, dlq queues.Ref, receiveSrc func() []engine.Message) {
	t.Helper()
	dlq = mustCreate(t, e, "dlq", nil)
	src = mustCreate(t, e, "src", map[string]string{
		queues.AttrRedrivePolicy: fmt.Sprintf(`{"deadLetterTargetArn":"%s","maxReceiveCount":1}`, dlq.ARN()),
	})
	zero := 0
	return src, dlq, func() []engine.Message {
		msgs, err := e.ReceiveMessage(context.Background(), src, engine.ReceiveInput{VisibilityTimeout: &zero, WaitTimeSeconds: &zero})
		if err != nil {
			t.Fatal(err)
		}
		return msgs
	}
}

// A move task that redrives a message back to its source wakes one of the
// source's long polls for it, not all of them.
func TestMoveTaskWakesOneWaiterPerMessage(t *testing.T) {
	const waiters = 60
	forEachCountedNode(t, func(t *testing.T, e *engine.Engine, ops *storeOps) {
		src, dlq, receiveSrc := deadLetterPair(t, e)
		mustSend(t, e, src, "redriven")
		receiveSrc()
		receiveSrc() // dead-letters it
		wantCounts(t, e, dlq, "dead-lettered", "1", "0")
		wakeCost(t, e, ops, src, waiters, "1 message redriven", func() {
			if _, err := e.StartMessageMoveTask(context.Background(), dlq, nil, 0); err != nil {
				t.Fatal(err)
			}
		}, "redriven")
	})
}

// A committed half message wakes one long poll for it, not all of them.
func TestHalfCommitWakesOneWaiter(t *testing.T) {
	const waiters = 60
	forEachCountedNode(t, func(t *testing.T, e *engine.Engine, ops *storeOps) {
		q := mustCreate(t, e, "q", nil)
		half := mustSendHalf(t, e, q, engine.SendInput{Body: "decided"})
		wakeCost(t, e, ops, q, waiters, "1 half message committed", func() {
			mustEnd(t, e, q, half.TransactionID, engine.Commit)
		}, "decided")
	})
}
