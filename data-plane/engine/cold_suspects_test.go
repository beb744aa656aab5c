package engine_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/tiering/segment"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

// A segment object overwritten with garbage costs receives a request or
// two per backoff, not one per message per receive: its messages, all
// visible and the oldest, are what every receive meets first. Before, each
// receive read each message's frame again (the reader forgot the corrupt
// copy at once), 40 requests a receive here, which on a loaded machine
// held a drain's receives past the client's 5 s deadline (e2e/chaos
// TestBlobStoreFaults). Once the backoff has passed the segment is read
// again, so a restored object is delivered.
func TestCorruptSegmentReadOncePerBackoff(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		const n, receives = 40, 5
		c := corruptSegment(t, store, "corrupt-reads", n, func(good []byte, _ []segment.Entry) []byte {
			return bytes.Repeat([]byte{'x'}, len(good))
		}, 0)
		key, good, blobs, e2, r := c.key, c.good, c.blobs, c.e, c.r
		// A range read, then the whole segment; a slow machine may pass
		// the backoff once.
		if got := blobs.reads.Load(); got > 4 {
			t.Errorf("%d receives read the corrupt segment %d times; want at most 4 (a range and the whole, once per backoff)", receives, got)
		}
		if err := blobs.Put(ctx, key, good); err != nil {
			t.Fatal(err)
		}
		seen := map[int]int{}
		for deadline := time.Now().Add(10 * time.Second); len(seen) < n && time.Now().Before(deadline); {
			msgs := receive(t, e2, r, 10)
			if len(msgs) == 0 {
				time.Sleep(50 * time.Millisecond)
			}
			for _, m := range msgs {
				i, err := backlogIndex(m.Body, n)
				if err != nil {
					t.Fatal(err)
				}
				seen[i]++
				if err := e2.DeleteMessage(ctx, r, m.ReceiptHandle); err != nil {
					t.Fatal(err)
				}
			}
		}
		if len(seen) != n {
			t.Fatalf("after the restore %d of %d delivered within 10 s", len(seen), n)
		}
	})
}

// A corrupt segment too large for the reader's cache is read by range,
// frame by frame: each bad frame costs one request per backoff, not one
// per receive. Before, every receive read every bad frame again (200
// requests for 5 receives of these 40 messages).
func TestUncacheableCorruptSegmentReadsEachFrameOncePerBackoff(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		const n, receives = 40, 5
		// Every frame damaged, the index intact; a 1 KiB cache reads
		// segments over 256 B by range.
		c := corruptSegment(t, store, "corrupt-big", n, func(good []byte, entries []segment.Entry) []byte {
			bad := bytes.Clone(good)
			for _, en := range entries {
				bad[en.Ref.Offset+en.Ref.Length/2] ^= 0xff
			}
			return bad
		}, 1<<10)
		blobs, e2 := c.blobs, c.e
		// Each frame once, a Stat, and a slow machine may pass the backoff
		// once.
		t.Logf("%d receives: %d reads of a corrupt %d-message segment", receives, blobs.reads.Load(), n)
		if got := blobs.reads.Load(); got > 2*n+2 {
			t.Errorf("%d receives made %d reads of a corrupt %d-message segment; want each frame read once per backoff (at most %d)", receives, got, n, 2*n+2)
		}
		if got := e2.ColdStats().Cache.Hits; got != 0 {
			t.Fatalf("%d cache hits: the segment was cached, so this tests nothing", got)
		}
	})
}

// corruptedSegment is a queue whose n messages were tiered into one
// segment, then damaged, read by a fresh engine after 5 receives that
// delivered none.
type corruptedSegment struct {
	key   string
	good  []byte
	blobs *slowBlobs
	e     *engine.Engine
	r     queues.Ref
}

// corruptSegment tiers n messages into one segment, replaces its object
// with damage(its bytes, its index), hands the queue to a new engine with
// a cold cache of cacheBytes (0: the default), and has it receive 5 times,
// none of which may deliver; the blob store's read count starts at those
// receives.
func corruptSegment(t *testing.T, store kv.Store, name string, n int, damage func([]byte, []segment.Entry) []byte, cacheBytes int64) corruptedSegment {
	t.Helper()
	clock, blobs, opts, e, r := newSlowBlobsQueue(t, store, 1000, name)
	sendBacklogBodies(t, e, r, 0, n)
	clock.Advance(11 * time.Minute)
	mustTier(t, e)
	key, good := onlySegment(t, blobs)
	entries, err := segment.ReadIndex(good)
	if err != nil || len(entries) != n {
		t.Fatalf("segment index: %d entries, %v", len(entries), err)
	}
	if err := blobs.Put(ctx, key, damage(good, entries)); err != nil {
		t.Fatal(err)
	}
	handOver(t, e, clock)
	opts.CacheBytes = cacheBytes
	e2 := newTierEngineShards(t, store, clock.Now, opts, 1)
	blobs.reads.Store(0)
	for range 5 {
		if msgs := receive(t, e2, r, 10); len(msgs) != 0 {
			t.Fatalf("delivered %d messages of a corrupt segment", len(msgs))
		}
	}
	return corruptedSegment{key: key, good: good, blobs: blobs, e: e2, r: r}
}

// A segment whose object is missing does not make the blob store count as
// down: the next segment's messages are delivered by the same receive.
// Before, the first not-found marked the whole blob store down for the
// backoff, and uncached reads of every other segment failed with it.
func TestMissingSegmentLeavesOthersReadable(t *testing.T) {
	skipInvariants(t, "deletes a segment's object on purpose")
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		clock, blobs, opts, e, r := newSlowBlobsQueue(t, store, 20, "missing")
		const n = 40
		sendBacklogBodies(t, e, r, 0, n/2) // two segments, tiered a minute apart
		clock.Advance(11 * time.Minute)
		mustTier(t, e)
		clock.Advance(time.Minute)
		sendBacklogBodies(t, e, r, n/2, n)
		clock.Advance(11 * time.Minute)
		mustTier(t, e)
		keys := listSegments(t, blobs) // in id order (time first), so the oldest first
		if len(keys) != 2 {
			t.Fatalf("%d segments, want 2", len(keys))
		}
		if err := blobs.Delete(ctx, keys[0]); err != nil {
			t.Fatal(err)
		}
		handOver(t, e, clock)
		e2 := newTierEngineShards(t, store, clock.Now, opts, 1)
		msgs := receive(t, e2, r, 10)
		if len(msgs) != 10 {
			t.Fatalf("one receive delivered %d messages; want 10 of the segment still there", len(msgs))
		}
		for _, m := range msgs {
			if i, err := backlogIndex(m.Body, n); err != nil || i < 20 {
				t.Fatalf("delivered message %d (%v); want one of the second segment's", i, err)
			}
		}
		if cs := e2.ColdStats(); cs.Failed == 0 {
			t.Errorf("cold stats %+v: the missing object not counted", cs)
		}
	})
}

// A long poll answers within its wait plus the cold-read budget, however
// many of its attempts meet cold reads. Here the oldest 600 messages are
// each in a segment of its own whose object is gone, and each read takes
// 6 ms. Before, every attempt of the poll had a budget of its own, so a
// 1 s poll made a second attempt after the first had used up the wait
// (3.6-4.5 s). Each attempt now fetches at most a batch of frames a round,
// outside its transaction (cold_reads.go), and reads on past the segments
// found missing; none of them is read twice within the backoff.
func TestLongPollBoundsItsColdReads(t *testing.T) {
	skipInvariants(t, "deletes segments' objects on purpose")
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		clock, blobs, opts, e, r := newSlowBlobsQueue(t, store, 1, "poll-bound")
		const n = 600
		sendBacklogBodies(t, e, r, 0, n)
		clock.Advance(11 * time.Minute)
		for pass := 0; recordBytes(t, e, r).Cold < n; pass++ {
			if pass == n {
				t.Fatalf("%d of %d messages cold after %d passes", recordBytes(t, e, r).Cold, n, pass)
			}
			mustTier(t, e)
			clock.Advance(11 * time.Second) // past the tier interval
		}
		for _, k := range listSegments(t, blobs) {
			if err := blobs.Delete(ctx, k); err != nil {
				t.Fatal(err)
			}
		}
		handOver(t, e, clock)
		e2 := newTierEngineShards(t, store, clock.Now, opts, 1)
		blobs.readDelay.Store(int64(6 * time.Millisecond))
		start := time.Now()
		msgs, err := e2.ReceiveMessage(ctx, r, engine.ReceiveInput{MaxNumberOfMessages: 10, WaitTimeSeconds: intp(1)})
		took := time.Since(start)
		if err != nil || len(msgs) != 0 {
			t.Fatalf("receive: %d messages, %v; want none", len(msgs), err)
		}
		t.Logf("a 1 s long poll over missing segments answered in %v after %d reads", took.Round(time.Millisecond), blobs.reads.Load())
		if reads := blobs.reads.Load(); reads > n {
			t.Errorf("a 1 s long poll read %d times over %d missing segments: one read twice within the backoff", reads, n)
		}
		if took > 3600*time.Millisecond {
			t.Errorf("a 1 s long poll took %v; want at most about 1 s + the 2.5 s cold-read budget", took)
		}
	})
}

// newSlowBlobsQueue is a one-shard engine tiering to a slowBlobs store in
// segments of up to segmentRecords messages, and a queue on it.
func newSlowBlobsQueue(t *testing.T, store kv.Store, segmentRecords int, name string) (*fakeClock, *slowBlobs, engine.TieringOptions, *engine.Engine, queues.Ref) {
	t.Helper()
	clock, blobs, opts, e := newSlowBlobsEngine(t, store, segmentRecords)
	return clock, blobs, opts, e, mustCreate(t, e, name, nil)
}
