package engine_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

// opCounter counts a store's transactions: reads, and updates that wrote.
type opCounter struct {
	kv.Store
	views, updates, writes atomic.Int64
}

func (s *opCounter) View(ctx context.Context, fn func(kv.Reader) error) error {
	s.views.Add(1)
	return s.Store.View(ctx, fn)
}

func (s *opCounter) Update(ctx context.Context, fn func(kv.Txn) error) error {
	s.updates.Add(1)
	return s.Store.Update(ctx, func(tx kv.Txn) error {
		w := &writeSpy{Txn: tx}
		err := fn(w)
		if w.wrote && err == nil {
			s.writes.Add(1)
		}
		return err
	})
}

func (s *opCounter) reset() { s.views.Store(0); s.updates.Store(0); s.writes.Store(0) }

type writeSpy struct {
	kv.Txn
	wrote bool
}

func (w *writeSpy) Set(k, v []byte) error { w.wrote = true; return w.Txn.Set(k, v) }
func (w *writeSpy) Delete(k []byte) error { w.wrote = true; return w.Txn.Delete(k) }

// TestIdleQueuesCostNothing: with many queues, a few holding messages, an
// idle minute of background passes (flushes every second, tiering every
// 10 s, a sweep) reads the store a bounded number of times, whatever the
// number of queues, and writes nothing; the messages are still tiered,
// counted and expired on time. Before the due index every pass visited
// every queue and took a tiering lease per shard: thousands of writes.
func TestIdleQueuesCostNothing(t *testing.T) {
	queues, active := 1000, 50
	if testing.Short() {
		queues, active = 200, 10
	}
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		counter := &opCounter{Store: store}
		clock := newFakeClock()
		e := newTierEngine(t, counter, clock.Now, tierOptions(openFSBlobs(t)))
		const retention = 900 // s
		refs := make([]engine.QueueRef, queues)
		for i := range refs {
			refs[i] = ref(fmt.Sprint("idle-", i))
			if _, err := e.CreateQueue(ctx, refs[i], map[string]string{"MessageRetentionPeriod": fmt.Sprint(retention)}, nil); err != nil {
				t.Fatal(err)
			}
		}
		busy := map[engine.QueueRef]int{}
		for i := 0; i < queues; i += 20 {
			for range 3 {
				mustSend(t, e, refs[i], "a few messages")
			}
			busy[refs[i]] = 3
		}
		pass := func(second int) {
			t.Helper()
			clock.Advance(time.Second)
			if err := e.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			if second%10 == 0 {
				if err := e.Tier(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if second%60 == 0 {
				if err := e.Sweep(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
		pass(60) // the passes that follow the sends

		counter.reset()
		for s := 1; s <= 60; s++ {
			pass(s)
		}
		views, writes := counter.views.Load(), counter.writes.Load()
		t.Logf("%d queues (%d with messages), idle minute: %d reads, %d updates, %d writes", queues, len(busy), views, counter.updates.Load(), writes)
		// Each pass reads the due index and the garbage list once; none
		// of the queues is due within the minute.
		if writes != 0 || views > 30 {
			t.Fatalf("an idle minute cost %d reads and %d writes; want a few reads and no write, whatever the number of queues", views, writes)
		}

		// Activity on random queues: tiered once their bodies have
		// waited out the hot window (twice, for a batch this small),
		// counted, and expired after the retention period.
		for range active {
			r := refs[rand.IntN(len(refs))]
			mustSend(t, e, r, "later")
			busy[r]++
		}
		// From here on, one flush per pass: the passes are what is tested.
		later := func(second int) {
			t.Helper()
			clock.Advance(9 * time.Second)
			pass(second)
		}
		hotWindow := engine.DefaultHotWindowSeconds
		second := 0
		for ; second < 2*hotWindow+30; second += 10 {
			later(second)
		}
		for r, n := range busy {
			st, err := e.QueueStorage(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			if st.Messages != int64(n) || st.HotBytes != 0 || st.ColdBytes == 0 {
				t.Fatalf("%s after %d s: %+v, want %d messages, all cold", r.Name, second, st, n)
			}
		}
		for ; second < retention+90; second += 10 {
			later(second)
		}
		for r := range busy {
			st, err := e.QueueStorage(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			if st.Messages != 0 {
				t.Fatalf("%s after %d s: %d messages left, retention is %d s", r.Name, second, st.Messages, retention)
			}
		}
	})
}

// BenchmarkIdleQueues measures a node's CPU and store writes while 20,000
// queues (1,000 holding a few messages) sit idle for a minute, with the
// background loops on their real intervals. Run with -benchtime=1x.
func BenchmarkIdleQueues(b *testing.B) {
	for _, queues := range []int{0, 5000, 20000} {
		b.Run(fmt.Sprint(queues), func(b *testing.B) {
			for b.Loop() {
				store := kvtest.OpenLocal(b)
				counter := &opCounter{Store: store}
				e, err := engine.New(counter, engine.Options{ReceiptKey: receiptKey,
					Tiering: engine.TieringOptions{Blobs: openFSBlobsB(b)}})
				if err != nil {
					b.Fatal(err)
				}
				for i := range queues {
					r := ref(fmt.Sprint("idle-", i))
					if _, err := e.CreateQueue(ctx, r, nil, nil); err != nil {
						b.Fatal(err)
					}
					if i%20 == 0 {
						for range 3 {
							mustSend(b, e, r, "a few messages")
						}
					}
				}
				// The passes that follow the sends, which have work, run
				// before the loops start: the minute measured is idle.
				if err := errors.Join(e.Flush(ctx), e.Tier(ctx), e.Sweep(ctx)); err != nil {
					b.Fatal(err)
				}
				runCtx, cancel := context.WithCancel(context.Background())
				e.Start(runCtx)
				counter.reset()
				before := processCPU()
				const idle = 60 * time.Second
				time.Sleep(idle)
				used := processCPU() - before
				b.ReportMetric(100*used.Seconds()/idle.Seconds(), "cpu%")
				b.ReportMetric(float64(counter.writes.Load())/idle.Seconds(), "writes/s")
				b.ReportMetric(float64(counter.views.Load()+counter.updates.Load())*60/idle.Seconds(), "txns/min")
				cancel()
				_ = e.Close()
			}
		})
	}
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestDeleteEndsLongPollsOnEveryNode: deleting a queue ends its long polls
// at once on the node that deleted it and within a poll interval or so on
// another, instead of at the end of their wait.
func TestDeleteEndsLongPollsOnEveryNode(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		a, b := newEngine(t, store, time.Now), newEngine(t, store, time.Now)
		q := mustCreate(t, a, "doomed", nil)
		wait := 20
		done := make(chan error, 2)
		for _, e := range []*engine.Engine{a, b} {
			go func() {
				_, err := e.ReceiveMessage(ctx, q, engine.ReceiveInput{WaitTimeSeconds: &wait})
				done <- err
			}()
		}
		time.Sleep(200 * time.Millisecond) // both waiting
		start := time.Now()
		if err := a.DeleteQueue(ctx, q); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			select {
			case err := <-done:
				wantCode(t, err, engine.CodeQueueDoesNotExist)
			case <-time.After(10 * time.Second): // far below the 20 s wait
				t.Fatal("a long poll outlived its queue's deletion by 10 s")
			}
		}
		t.Logf("both long polls ended %v after the delete", time.Since(start))
	})
}
