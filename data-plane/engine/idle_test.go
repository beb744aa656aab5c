package engine_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

// TestIdleQueuesCostNothing: with many queues, a few holding messages, an
// idle minute of background passes (flushes every second, tiering every
// 10 s, a sweep) reads the store a bounded number of times, whatever the
// number of queues, and writes nothing; the messages are still tiered,
// counted and expired on time. Before the due index every pass visited
// every queue and took a tiering lease per shard: thousands of writes.
func TestIdleQueuesCostNothing(t *testing.T) {
	nQueues, active := 1000, 50
	if testing.Short() {
		nQueues, active = 200, 10
	}
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		counter := &storeOps{Store: store}
		clock := newFakeClock()
		e := newTierEngine(t, counter, clock.Now, tierOptions(openFSBlobs(t)))
		const retention = 900 // s
		refs := make([]queues.Ref, nQueues)
		for i := range refs {
			refs[i] = ref(fmt.Sprint("idle-", i))
			if _, err := e.Catalog().Create(ctx, refs[i], map[string]string{"MessageRetentionPeriod": fmt.Sprint(retention)}, nil); err != nil {
				t.Fatal(err)
			}
		}
		busy := map[queues.Ref]int{}
		for i := 0; i < nQueues; i += 20 {
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

		txns0, views0, writes0 := counter.txns.Load(), counter.views.Load(), counter.writes.Load()
		for s := 1; s <= 60; s++ {
			pass(s)
		}
		views, writes := counter.views.Load()-views0, counter.writes.Load()-writes0
		updates := counter.txns.Load() - txns0 - views
		t.Logf("%d queues (%d with messages), idle minute: %d reads, %d updates, %d writes", nQueues, len(busy), views, updates, writes)
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
		hotWindow := queues.DefaultHotWindowSeconds
		second := 0
		for ; second < 2*hotWindow+30; second += 10 {
			later(second)
		}
		for r, n := range busy {
			st, err := e.Stats().QueueStorage(ctx, r)
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
			st, err := e.Stats().QueueStorage(ctx, r)
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
				counter := &storeOps{Store: store}
				e, err := engine.New(counter, engine.Options{ReceiptKey: receiptKey,
					Tiering: engine.TieringOptions{Blobs: openFSBlobsB(b)}})
				if err != nil {
					b.Fatal(err)
				}
				for i := range queues {
					r := ref(fmt.Sprint("idle-", i))
					if _, err := e.Catalog().Create(ctx, r, nil, nil); err != nil {
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
				txns0, writes0 := counter.txns.Load(), counter.writes.Load()
				before := cpuTime()
				const idle = 60 * time.Second
				time.Sleep(idle)
				used := cpuTime() - before
				b.ReportMetric(100*used.Seconds()/idle.Seconds(), "cpu%")
				b.ReportMetric(float64(counter.writes.Load()-writes0)/idle.Seconds(), "writes/s")
				b.ReportMetric(float64(counter.txns.Load()-txns0)*60/idle.Seconds(), "txns/min")
				cancel()
				_ = e.Close()
			}
		})
	}
}
