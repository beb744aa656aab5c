package engine_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/internal/blob"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

// With the blob store answering reads seconds late, a receive answers
// within about its 2.5 s cold-read budget: it returns what it could
// read (hot messages, cached segments) and leaves the cold messages whose
// segments are slow in place; their segments arrive in the cache in the
// background and later receives deliver every message, intact, once.
// Before the budget, a receive waited for each read (up to the 5 s fetch
// timeout), past an SQS client's deadline.
func TestColdReadsOfASlowBlobStore(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		clock := newFakeClock()
		blobs := &slowBlobs{Store: openFSBlobs(t)}
		e := newTierEngineShards(t, store, clock.Now, tierOptions(blobs), 1)
		r := mustCreate(t, e, "slow", nil)
		const cold, hot = 150, 10
		sendBacklogBodies(t, e, r, 0, cold)
		clock.Advance(11 * time.Minute)
		mustTier(t, e)
		if rb := recordBytes(t, e, r); rb.Cold != cold {
			t.Fatalf("%d of %d messages cold", rb.Cold, cold)
		}
		sendBacklogBodies(t, e, r, cold, cold+hot)
		// A node that has cached nothing, with reads 3 s slow.
		handOver(t, e, clock)
		e2 := newTierEngineShards(t, store, clock.Now, tierOptions(blobs), 1)
		blobs.readDelay.Store(int64(3 * time.Second)) // past the budget

		seen := map[int]int{}
		var slowest time.Duration
		empty := 0
		deadline := time.Now().Add(60 * time.Second)
		for len(seen) < cold+hot && time.Now().Before(deadline) {
			start := time.Now()
			msgs := receive(t, e2, r, 10)
			slowest = max(slowest, time.Since(start))
			if len(msgs) == 0 {
				empty++
				time.Sleep(100 * time.Millisecond)
			}
			for _, m := range msgs {
				i, err := backlogIndex(m.Body, cold+hot)
				if err != nil {
					t.Fatal(err)
				}
				seen[i]++
				if err := e2.DeleteMessage(ctx, r, m.ReceiptHandle); err != nil {
					t.Fatal(err)
				}
			}
		}
		t.Logf("%d of %d messages delivered; slowest receive %v; %d empty receives", len(seen), cold+hot, slowest.Round(time.Millisecond), empty)
		if len(seen) != cold+hot {
			t.Errorf("delivered %d of %d messages within 60 s", len(seen), cold+hot)
		}
		for i, n := range seen {
			if n != 1 {
				t.Errorf("message %d delivered %d times", i, n)
			}
		}
		if slowest > 4*time.Second {
			t.Errorf("a receive took %v with the blob store 3 s slow; want about the 2.5 s cold-read budget", slowest)
		}
	})
}

// slowBlobs is a blob store whose reads answer readDelay late (or when
// the caller gives up).
type slowBlobs struct {
	blob.Store
	readDelay atomic.Int64 // nanoseconds
	reads     atomic.Int64 // Get, GetRange and Stat calls
}

func (s *slowBlobs) wait(ctx context.Context) error {
	s.reads.Add(1)
	select {
	case <-time.After(time.Duration(s.readDelay.Load())):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *slowBlobs) Get(ctx context.Context, key string) ([]byte, error) {
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.Store.Get(ctx, key)
}

func (s *slowBlobs) GetRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.Store.GetRange(ctx, key, off, n)
}

func (s *slowBlobs) Stat(ctx context.Context, key string) (blob.ObjectInfo, error) {
	if err := s.wait(ctx); err != nil {
		return blob.ObjectInfo{}, err
	}
	return s.Store.Stat(ctx, key)
}
