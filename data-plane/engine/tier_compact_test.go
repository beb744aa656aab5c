package engine_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

// attemptStore counts the attempts of durable transactions (Update; lazy
// ones, which receives use, pass through) and the keys each attempt wrote,
// while counting is on.
type attemptStore struct {
	kv.Store
	on atomic.Bool

	mu          sync.Mutex
	maxAttempts int // of one Update
	maxWrites   int // of one attempt
	wasted      int // keys written by attempts that did not commit
	committed   int // keys written by attempts that did
}

func (s *attemptStore) Update(ctx context.Context, fn func(kv.Txn) error) error {
	if !s.on.Load() {
		return s.Store.Update(ctx, fn)
	}
	attempts, writes := 0, []int{}
	err := s.Store.Update(ctx, func(tx kv.Txn) error {
		attempts++
		c := &writeCounter{Txn: tx}
		err := fn(c)
		writes = append(writes, c.n)
		return err
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	s.maxAttempts = max(s.maxAttempts, attempts)
	for i, n := range writes {
		s.maxWrites = max(s.maxWrites, n)
		if i < len(writes)-1 || err != nil {
			s.wasted += n
		} else {
			s.committed += n
		}
	}
	return err
}

func (s *attemptStore) UpdateLazy(ctx context.Context, fn func(kv.Txn) error) error {
	return kv.UpdateLazy(ctx, s.Store, fn)
}

type writeCounter struct {
	kv.Txn
	n int
}

func (c *writeCounter) Set(key, value []byte) error { c.n++; return c.Txn.Set(key, value) }
func (c *writeCounter) Delete(key []byte) error     { c.n++; return c.Txn.Delete(key) }

// Receives go on while the shard's lease holder compacts a segment whose
// live messages they are claiming. Compaction once moved every live record
// in one transaction that read them plainly: on TiKV each claim committed
// in between conflicted it, and it ran again and again (19 times for one
// segment), holding ~2,400 prewrite locks at each commit, which stalled
// the receivers in turn. It must move records in small transactions that
// skip the records a receiver holds, so none of them runs many times or
// throws much work away. SLUICE_COMPACT_CONSUMERS sets the consumers (4).
func TestTierCompactionDoesNotStallReceives(t *testing.T) {
	if testing.Short() {
		t.Skip("sends a few thousand messages")
	}
	consumers := 4
	if v, err := strconv.Atoi(os.Getenv("SLUICE_COMPACT_CONSUMERS")); err == nil && v > 0 {
		consumers = v
	}
	const total, deleted = 2400, 1300
	store := &attemptStore{Store: kvtest.OpenMockTiKV(t)}
	blobs := openFSBlobs(t)
	clock := newFakeClock()
	opts := tierOptions(blobs)
	opts.SegmentRecords = 4096
	e := newTierEngineShards(t, store, clock.Now, opts, 1)
	r := mustCreate(t, e, "compact-live", map[string]string{"VisibilityTimeout": "600"})
	for i := 0; i < total; i += 10 {
		batch := make([]engine.SendInput, 10)
		for j := range batch {
			batch[j] = engine.SendInput{Body: fmt.Sprintf("message %d %0200d", i+j, i+j)}
		}
		if _, err := e.SendMessageBatch(ctx, r, batch); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(11 * time.Minute)
	mustTier(t, e)
	segs := listSegments(t, blobs)
	if len(segs) != 1 {
		t.Fatalf("%d segments, want 1", len(segs))
	}
	oldKey := segs[0]
	for gone := 0; gone < deleted; {
		msgs := receive(t, e, r, min(10, deleted-gone))
		handles := make([]string, len(msgs))
		for i, m := range msgs {
			handles[i] = m.ReceiptHandle
		}
		if _, err := e.DeleteMessageBatch(ctx, r, handles); err != nil {
			t.Fatal(err)
		}
		gone += len(msgs)
	}
	live := total - deleted
	if st := storage(t, e, r); st.Messages != int64(live) || st.Segments != 1 {
		t.Fatalf("before compaction: %+v", st)
	}

	// Compact while the consumers drain the live messages.
	var (
		got     atomic.Int64
		maxLat  atomic.Int64
		recvs   atomic.Int64
		wg      sync.WaitGroup
		started = make(chan struct{})
		once    sync.Once
	)
	store.on.Store(true)
	compacted := make(chan error, 1)
	start := time.Now()
	go func() { <-started; compacted <- e.Tier(ctx) }()
	deadline := start.Add(3 * time.Minute)
	for range consumers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			zero := 0
			for got.Load() < int64(live) && time.Now().Before(deadline) {
				t0 := time.Now()
				msgs, err := e.ReceiveMessage(ctx, r, engine.ReceiveInput{MaxNumberOfMessages: 10, WaitTimeSeconds: &zero})
				if err != nil {
					t.Errorf("receive: %v", err)
					return
				}
				d := int64(time.Since(t0))
				for old := maxLat.Load(); d > old && !maxLat.CompareAndSwap(old, d); old = maxLat.Load() {
				}
				recvs.Add(1)
				once.Do(func() { close(started) }) // the receivers are running
				got.Add(int64(len(msgs)))
			}
		}()
	}
	wg.Wait()
	drain := time.Since(start)
	var err error
	select {
	case err = <-compacted:
	case <-time.After(time.Minute):
		t.Fatal("compaction did not finish a minute after the receivers")
	}
	store.on.Store(false)
	store.mu.Lock()
	maxAttempts, maxWrites, wasted, committed := store.maxAttempts, store.maxWrites, store.wasted, store.committed
	store.mu.Unlock()
	t.Logf("%d consumers, %d live: drained %d in %v, %d receives, slowest %v; compaction err %v; durable transactions: at most %d attempts, %d keys written in one attempt, %d written by attempts that did not commit, %d by those that did",
		consumers, live, got.Load(), drain, recvs.Load(), time.Duration(maxLat.Load()), err, maxAttempts, maxWrites, wasted, committed)
	if err != nil {
		t.Fatalf("tier: %v", err)
	}
	if got.Load() != int64(live) {
		t.Fatalf("received %d of %d", got.Load(), live)
	}
	// Counts, not timings: a conflict redoes one chunk (≤ 128 records, two
	// keys each), so no transaction runs many times and the work thrown
	// away stays below the work kept. (The one-transaction compaction ran
	// 19 times, each writing ~2,400 keys. A bound of two redone chunks in
	// all, 512 keys, failed about one run in eight on the code before and
	// after issue 20's ninth round alike, at 543–811 keys and up to 6
	// attempts: four consumers claim all through the compaction's 9 chunks.)
	if maxAttempts > 8 {
		t.Errorf("a durable transaction ran %d times, want at most 8", maxAttempts)
	}
	if wasted > committed {
		t.Errorf("attempts that did not commit wrote %d keys, more than the %d those that did wrote", wasted, committed)
	}
	// A compaction that left records receivers held goes on at the next
	// pass, which retires the old segment; a later one deletes its object.
	for range 3 {
		clock.Advance(time.Minute)
		mustTier(t, e)
	}
	st := storage(t, e, r)
	segs = listSegments(t, blobs)
	if st.Messages != int64(live) || int(st.Segments) != len(segs) || slices.Contains(segs, oldKey) {
		t.Errorf("after compaction: %+v, objects %q (the old one %q)", st, segs, oldKey)
	}
}

// A record a receiver holds while its segment is compacted stays on the
// old segment, and the compaction goes on at the next pass: the old
// segment is retired then, not left until something else brings the queue
// due (it once waited for the oldest message's retention). On TiKV only:
// the local driver runs one writing transaction at a time, so no record is
// ever held while another transaction runs.
func TestTierCompactionResumesAfterHeldRecords(t *testing.T) {
	store := kvtest.OpenMockTiKV(t)
	blobs := openFSBlobs(t)
	clock := newFakeClock()
	opts := tierOptions(blobs)
	opts.SegmentRecords = 4096
	e := newTierEngineShards(t, store, clock.Now, opts, 1)
	r := mustCreate(t, e, "compact-held", nil)
	for i := 0; i < 100; i += 10 {
		batch := make([]engine.SendInput, 10)
		for j := range batch {
			batch[j] = engine.SendInput{Body: fmt.Sprintf("message %d", i+j)}
		}
		if _, err := e.SendMessageBatch(ctx, r, batch); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(11 * time.Minute)
	mustTier(t, e)
	segs := listSegments(t, blobs)
	if len(segs) != 1 {
		t.Fatalf("%d segments, want 1", len(segs))
	}
	for gone := 0; gone < 80; {
		msgs := receive(t, e, r, 10)
		handles := make([]string, len(msgs))
		for i, m := range msgs {
			handles[i] = m.ReceiptHandle
		}
		if _, err := e.DeleteMessageBatch(ctx, r, handles); err != nil {
			t.Fatal(err)
		}
		gone += len(msgs)
	}
	ids, err := e.StoredMessageIDs(ctx, r)
	if err != nil || len(ids) != 20 {
		t.Fatalf("stored %d messages (%v), want 20", len(ids), err)
	}
	release, err := e.HoldMessage(ctx, r, ids[7])
	if err != nil {
		t.Fatal(err)
	}
	mustTier(t, e) // compacts all but the held record
	release()
	if st := storage(t, e, r); st.Segments != 2 || st.Messages != 20 {
		t.Fatalf("while held: %+v, want the old segment and the new one", st)
	}
	for range 3 { // the next pass, and the one that deletes the object
		clock.Advance(time.Minute)
		mustTier(t, e)
	}
	st := storage(t, e, r)
	after := listSegments(t, blobs)
	if st.Messages != 20 || int(st.Segments) != len(after) || slices.Contains(after, segs[0]) {
		t.Errorf("after: %+v, objects %q (the old one %q)", st, after, segs[0])
	}
	got := map[string]bool{}
	for range 5 {
		for _, m := range receive(t, e, r, 10) {
			got[m.Body] = true
		}
	}
	if len(got) != 20 {
		t.Errorf("received %d of the 20 live messages", len(got))
	}
}
