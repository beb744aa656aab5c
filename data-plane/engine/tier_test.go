package engine_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/internal/blob"
	"github.com/sluice-mq/sluice/internal/kv"
)

// A cold message comes back identical: body, attributes, system
// attributes and digests; deleting every message retires its segments and
// their objects go after the grace.
func TestTierRoundTrip(t *testing.T) {
	forEachTierDriver(t, func(t *testing.T, store kv.Store, blobs blob.Store) {
		clock := newFakeClock()
		e := newTierEngine(t, store, clock.Now, tierOptions(blobs))
		r := mustCreate(t, e, "cold", nil)
		sent := sendVaried(t, e, r, 300, false)

		mustTier(t, e) // inside the hot window: nothing moves
		if rb := recordBytes(t, e, r); rb.Cold != 0 {
			t.Fatalf("%d messages cold inside the hot window", rb.Cold)
		}
		clock.Advance(11 * time.Minute)
		mustTier(t, e)
		rb := recordBytes(t, e, r)
		st := storage(t, e, r)
		if rb.Cold != 300 || rb.Hot != 0 {
			t.Fatalf("after tiering: %d cold, %d hot records, want 300 cold", rb.Cold, rb.Hot)
		}
		if st.HotBytes != 0 || st.ColdBytes == 0 || st.Segments < 300/64 || st.Messages != 300 {
			t.Fatalf("storage after tiering: %+v", st)
		}
		if n := len(listSegments(t, blobs)); int64(n) != st.Segments {
			t.Fatalf("%d segment objects, %d segment records", n, st.Segments)
		}
		t.Logf("cold record bytes per message: %.1f (index %.1f)", float64(rb.ColdOverhead)/300, float64(rb.IndexBytes)/300)

		// A fresh engine has nothing cached: every read goes to the blob
		// store. It takes over the leases once they lapse.
		handOver(t, e, clock)
		e2 := newTierEngine(t, store, clock.Now, tierOptions(blobs))
		attrs := receive(t, e2, r, 10)
		for _, m := range attrs {
			if m.Attributes["SenderId"] != "AIDAEXAMPLESENDER" {
				t.Fatalf("SenderId %q", m.Attributes["SenderId"])
			}
		}
		for _, m := range attrs {
			if err := e2.ChangeMessageVisibility(ctx, r, m.ReceiptHandle, 0); err != nil {
				t.Fatal(err)
			}
		}
		checkExactlyOnce(t, drainChecked(t, e2, r, sent), sent)
		if cs := e2.ColdStats(); cs.Corrupt != 0 || cs.Cache.RangeReads+cs.Cache.WholeReads == 0 {
			t.Fatalf("cold stats after the drain: %+v", cs)
		}

		mustTier(t, e2)
		if st := storage(t, e2, r); st.Segments != 0 || st.ColdBytes != 0 || st.Messages != 0 {
			t.Fatalf("storage after the drain: %+v", st)
		}
		if n := len(listSegments(t, blobs)); n == 0 {
			t.Fatal("segment objects deleted before the grace")
		}
		clock.Advance(2 * time.Minute)
		mustTier(t, e2)
		if keys := listSegments(t, blobs); len(keys) != 0 {
			t.Fatalf("segment objects left after the grace: %v", keys)
		}
	})
}

// A crash between a segment's upload and its commit leaves an object no
// record names; the next lease holder removes it, and every message is
// delivered once, with its body.
func TestTierCrashBetweenUploadAndCommit(t *testing.T) {
	forEachTierDriver(t, func(t *testing.T, store kv.Store, blobs blob.Store) {
		clock := newFakeClock()
		opts := tierOptions(blobs)
		opts.OrphanAge = time.Hour // the crashed node never sweeps
		crash := errors.New("crash after upload (test)")
		engine.SetAfterUpload(&opts, func(string) error { return crash })
		e := newTierEngine(t, store, clock.Now, opts)
		r := mustCreate(t, e, "crashy", nil)
		sent := sendVaried(t, e, r, 100, false)
		clock.Advance(11 * time.Minute)
		if err := e.Tier(ctx); !errors.Is(err, crash) {
			t.Fatalf("tier: %v, want the crash", err)
		}
		orphans := listSegments(t, blobs)
		if len(orphans) == 0 {
			t.Fatal("no object uploaded before the crash")
		}
		if rb := recordBytes(t, e, r); rb.Cold != 0 || rb.Hot != 100 {
			t.Fatalf("after the crash: %+v", rb)
		}

		// Another node, once the crashed one's leases lapse.
		handOver(t, e, clock)
		e2 := newTierEngine(t, store, clock.Now, tierOptions(blobs))
		mustTier(t, e2)
		keys := listSegments(t, blobs)
		for _, o := range orphans {
			for _, k := range keys {
				if k == o {
					t.Fatalf("orphan %s not removed", o)
				}
			}
		}
		st := storage(t, e2, r)
		if int64(len(keys)) != st.Segments || st.Segments == 0 {
			t.Fatalf("%d objects, storage %+v", len(keys), st)
		}
		checkExactlyOnce(t, drainChecked(t, e2, r, sent), sent)
	})
}

// With the blob store down, sends and hot receives go on and bodies stay
// hot; cold messages wait, never lost; tiering resumes by itself.
func TestTierBlobStoreDown(t *testing.T) {
	forEachTierDriver(t, func(t *testing.T, store kv.Store, blobs blob.Store) {
		clock := newFakeClock()
		flaky := &flakyBlobs{Store: blobs}
		opts := tierOptions(flaky)
		opts.Interval = 20 * time.Millisecond
		e := newTierEngine(t, store, clock.Now, opts)
		r := mustCreate(t, e, "down", nil)
		first := sendVaried(t, e, r, 100, false)
		clock.Advance(11 * time.Minute)

		flaky.down.Store(true)
		if err := e.Tier(ctx); err == nil {
			t.Fatal("tier with the blob store down: no error")
		}
		if rb := recordBytes(t, e, r); rb.Cold != 0 {
			t.Fatalf("%d cold records with the blob store down", rb.Cold)
		}
		mustSend(t, e, r, "sent while S3 is down")

		flaky.down.Store(false)
		e.Start(ctx) // tiering resumes on its own
		waitFor(t, func() bool { return recordBytes(t, e, r).Cold >= 100 })

		flaky.down.Store(true)
		handOver(t, e, clock)
		// A fresh node with an empty cache: cold messages cannot be read,
		// so they are not received (and not lost).
		e2 := newTierEngine(t, store, clock.Now, tierOptions(flaky))
		for _, m := range receive(t, e2, r, 10) {
			if m.Body != "sent while S3 is down" {
				t.Fatalf("received %q with the blob store down", m.Body)
			}
			if err := e2.DeleteMessage(ctx, r, m.ReceiptHandle); err != nil {
				t.Fatal(err)
			}
		}
		if cs := e2.ColdStats(); cs.Failed == 0 {
			t.Fatalf("cold stats: %+v, want failed reads", cs)
		}
		flaky.down.Store(false)
		// Past the back-off after a failed read (2 s by time.Now, set before
		// the sleep): a sleep can only run long, so this cannot end early.
		time.Sleep(2100 * time.Millisecond)
		seen := drainChecked(t, e2, r, first)
		checkExactlyOnce(t, seen, first)
	})
}

func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 20 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A frame that fails its CRC is reported and left in place; the other
// messages of its segment are delivered.
func TestTierCorruptFrame(t *testing.T) {
	forEachTierDriver(t, func(t *testing.T, store kv.Store, blobs blob.Store) {
		clock := newFakeClock()
		opts := tierOptions(blobs)
		opts.SegmentRecords = 1000
		e := newTierEngineShards(t, store, clock.Now, opts, 1)
		r := mustCreate(t, e, "corrupt", nil)
		sent := sendVaried(t, e, r, 20, false)
		clock.Advance(11 * time.Minute)
		mustTier(t, e)
		key, data := onlySegment(t, blobs)
		// Flip a byte inside the first frame's body (after the 5-byte
		// header, 4-byte CRC, codec byte and 16-byte id).
		data[5+4+1+16+8] ^= 0x40
		if err := blobs.Put(ctx, key, data); err != nil {
			t.Fatal(err)
		}
		handOver(t, e, clock)
		e2 := newTierEngineShards(t, store, clock.Now, tierOptions(blobs), 1)
		seen := drainChecked(t, e2, r, sent)
		if len(seen) != len(sent)-1 {
			t.Fatalf("%d of %d delivered, want all but the corrupt one", len(seen), len(sent))
		}
		if cs := e2.ColdStats(); cs.Corrupt == 0 {
			t.Fatalf("cold stats %+v: corruption not reported", cs)
		}
		if st := storage(t, e2, r); st.Messages != 1 {
			t.Fatalf("storage %+v: the corrupt message should stay", st)
		}
	})
}

// A segment object overwritten with garbage is detected by its checks and
// none of its messages is delivered; they stay stored, and once the object
// is right again (restored from a backup) they are delivered intact, by
// the same engine: a corrupt copy it read must not stay in its cache.
func TestTierCorruptSegmentRestored(t *testing.T) {
	forEachTierDriver(t, func(t *testing.T, store kv.Store, blobs blob.Store) {
		clock := newFakeClock()
		opts := tierOptions(blobs)
		opts.SegmentRecords = 1000
		e := newTierEngineShards(t, store, clock.Now, opts, 1)
		r := mustCreate(t, e, "corrupt-restored", nil)
		sent := sendVaried(t, e, r, 20, false)
		clock.Advance(11 * time.Minute)
		mustTier(t, e)
		key, good := onlySegment(t, blobs)
		garbage := bytes.Repeat([]byte("garbage!"), len(good)/8+1)[:len(good)]
		if err := blobs.Put(ctx, key, garbage); err != nil {
			t.Fatal(err)
		}
		for range 3 { // read it more than once, so a reader would cache it
			if msgs := receive(t, e, r, 10); len(msgs) != 0 {
				t.Fatalf("delivered %d messages of a corrupt segment", len(msgs))
			}
		}
		if cs := e.ColdStats(); cs.Corrupt == 0 {
			t.Fatalf("cold stats %+v: corruption not reported", cs)
		}
		if st := storage(t, e, r); st.Messages != 20 {
			t.Fatalf("storage %+v: the messages should stay", st)
		}
		if err := blobs.Put(ctx, key, good); err != nil {
			t.Fatal(err)
		}
		// The corrupt copy is kept for the backoff (2 s), then read again.
		time.Sleep(2100 * time.Millisecond)
		if seen := drainChecked(t, e, r, sent); len(seen) != len(sent) {
			t.Fatalf("%d of %d delivered after the restore", len(seen), len(sent))
		}
	})
}

// A mostly-dead segment is rewritten with its live messages; the old
// object goes after the grace.
func TestTierCompaction(t *testing.T) {
	forEachTierDriver(t, func(t *testing.T, store kv.Store, blobs blob.Store) {
		clock := newFakeClock()
		opts := tierOptions(blobs)
		opts.SegmentRecords = 1000
		e := newTierEngineShards(t, store, clock.Now, opts, 1)
		r := mustCreate(t, e, "compact", nil)
		sent := sendVaried(t, e, r, 50, false)
		clock.Advance(11 * time.Minute)
		mustTier(t, e)
		before := listSegments(t, blobs)
		if len(before) != 1 {
			t.Fatalf("%d segments, want 1", len(before))
		}
		// Delete 30 of the 50.
		deleted := 0
		for deleted < 30 {
			for _, m := range receive(t, e, r, min(10, 30-deleted)) {
				checkMessage(t, m, sent)
				if err := e.DeleteMessage(ctx, r, m.ReceiptHandle); err != nil {
					t.Fatal(err)
				}
				delete(sent, m.MessageID)
				deleted++
			}
		}
		mustTier(t, e)
		st := storage(t, e, r)
		if st.Segments != 1 || st.Messages != 20 {
			t.Fatalf("after compaction: %+v", st)
		}
		clock.Advance(2 * time.Minute)
		mustTier(t, e)
		after := listSegments(t, blobs)
		if len(after) != 1 || after[0] == before[0] {
			t.Fatalf("objects before %v, after %v: want one new object", before, after)
		}
		handOver(t, e, clock)
		e2 := newTierEngineShards(t, store, clock.Now, tierOptions(blobs), 1)
		checkExactlyOnce(t, drainChecked(t, e2, r, sent), sent)
	})
}

// Over its hot-bytes budget a queue's oldest bodies go cold even inside
// the hot window.
func TestTierHotBytesBudget(t *testing.T) {
	forEachTierDriver(t, func(t *testing.T, store kv.Store, blobs blob.Store) {
		clock := newFakeClock()
		e := newTierEngine(t, store, clock.Now, tierOptions(blobs))
		r := mustCreate(t, e, "budget", nil)
		if err := e.Catalog().SetTiering(ctx, r, queues.TieringSettings{HotWindowSeconds: 86400, HotBytesBudget: 20 << 10}); err != nil {
			t.Fatal(err)
		}
		body := strings.Repeat("b", 1000)
		for range 100 {
			mustSend(t, e, r, body)
		}
		if err := e.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		mustTier(t, e)
		st := storage(t, e, r)
		if st.HotBytes > 20<<10 || st.ColdBytes < 80_000 || st.HotBytes+st.ColdBytes != 100_000 {
			t.Fatalf("storage over budget: %+v", st)
		}
		for _, m := range receive(t, e, r, 10) {
			if m.Body != body {
				t.Fatalf("body %q", m.Body)
			}
		}
	})
}

func TestTierSettingsValidation(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, clock *fakeClock) {
		r := mustCreate(t, e, "settings", nil)
		q, err := e.Catalog().Get(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if q.Tiering != queues.DefaultTiering() {
			t.Fatalf("default tiering %+v", q.Tiering)
		}
		wantCode(t, e.Catalog().SetTiering(ctx, r, queues.TieringSettings{HotWindowSeconds: -1}), sqserr.CodeInvalidParameterValue)
		wantCode(t, e.Catalog().SetTiering(ctx, r, queues.TieringSettings{HotWindowSeconds: 1209601}), sqserr.CodeInvalidParameterValue)
		wantCode(t, e.Catalog().SetTiering(ctx, r, queues.TieringSettings{HotBytesBudget: -5}), sqserr.CodeInvalidParameterValue)
		want := queues.TieringSettings{HotWindowSeconds: 60, HotBytesBudget: 1 << 20}
		if err := e.Catalog().SetTiering(ctx, r, want); err != nil {
			t.Fatal(err)
		}
		if q, _ := e.Catalog().Get(ctx, r); q.Tiering != want {
			t.Fatalf("tiering %+v, want %+v", q.Tiering, want)
		}
		wantCode(t, e.Catalog().SetTiering(ctx, ref("missing"), want), sqserr.CodeQueueDoesNotExist)
	})
}

// FIFO order, group and deduplication attributes survive the cold tier;
// a cold message dead-letters with its body.
func TestTierFIFOAndDeadLetter(t *testing.T) {
	forEachTierDriver(t, func(t *testing.T, store kv.Store, blobs blob.Store) {
		clock := newFakeClock()
		e := newTierEngine(t, store, clock.Now, tierOptions(blobs))
		fifoAttrs := map[string]string{"FifoQueue": "true"}
		dlq := mustCreate(t, e, "cold-dlq.fifo", fifoAttrs)
		r := mustCreate(t, e, "cold.fifo", map[string]string{"FifoQueue": "true",
			"RedrivePolicy": `{"deadLetterTargetArn":"` + dlq.ARN() + `","maxReceiveCount":"1"}`})
		sent := sendVaried(t, e, r, 40, true)
		clock.Advance(11 * time.Minute)
		mustTier(t, e)
		if rb := recordBytes(t, e, r); rb.Cold != 40 {
			t.Fatalf("%d of 40 FIFO records cold", rb.Cold)
		}
		// Receive everything once without deleting: each group in order.
		last := map[string]int{"g0": -1, "g1": -1, "g2": -1, "g3": -1}
		var got int
		for got < 40 {
			msgs := receive(t, e, r, 10)
			if len(msgs) == 0 {
				t.Fatalf("only %d of 40 received", got)
			}
			for _, m := range msgs {
				checkMessage(t, m, sent)
				g, seq := m.Attributes["MessageGroupId"], m.Attributes["SequenceNumber"]
				if m.Attributes["MessageDeduplicationId"] == "" || seq == "" {
					t.Fatalf("FIFO attributes missing: %v", m.Attributes)
				}
				var n int
				if _, err := fmt.Sscanf(m.Body, "message %d", &n); err != nil {
					t.Fatal(err)
				}
				if n <= last[g] {
					t.Fatalf("group %s: message %d after %d", g, n, last[g])
				}
				last[g] = n
				got++
			}
		}
		// The second receive dead-letters every message: bodies go with them.
		clock.Advance(time.Hour)
		if msgs := receive(t, e, r, 10); len(msgs) != 0 {
			t.Fatalf("%d received after maxReceiveCount", len(msgs))
		}
		var moved atomic.Int64
		for _, m := range drainChecked(t, e, dlq, sent) {
			moved.Add(int64(m))
		}
		if moved.Load() != 40 {
			t.Fatalf("%d of 40 in the dead-letter queue", moved.Load())
		}
	})
}

// Purging a queue removes its segment objects with its data.
func TestTierPurgeRemovesSegments(t *testing.T) {
	forEachTierDriver(t, func(t *testing.T, store kv.Store, blobs blob.Store) {
		clock := newFakeClock()
		e := newTierEngine(t, store, clock.Now, tierOptions(blobs))
		r := mustCreate(t, e, "purged", nil)
		sendVaried(t, e, r, 100, false)
		clock.Advance(11 * time.Minute)
		mustTier(t, e)
		if len(listSegments(t, blobs)) == 0 {
			t.Fatal("nothing tiered")
		}
		if err := e.PurgeQueue(ctx, r); err != nil {
			t.Fatal(err)
		}
		if err := e.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if keys := listSegments(t, blobs); len(keys) != 0 {
			t.Fatalf("%d segment objects left after the purge", len(keys))
		}
	})
}

// Exactly one node tiers a shard at a time.
func TestTierLease(t *testing.T) {
	forEachTierDriver(t, func(t *testing.T, store kv.Store, blobs blob.Store) {
		clock := newFakeClock()
		counted := &flakyBlobs{Store: blobs}
		a := newTierEngine(t, store, clock.Now, tierOptions(counted))
		b := newTierEngine(t, store, clock.Now, tierOptions(counted))
		r := mustCreate(t, a, "leased", nil)
		sent := sendVaried(t, a, r, 100, false)
		mustTier(t, a) // takes every lease; nothing to tier yet
		clock.Advance(11 * time.Minute)
		mustTier(t, b) // a's leases lapsed 10 minutes ago: b takes them
		n := counted.uploads.Load()
		if n == 0 {
			t.Fatal("b tiered nothing")
		}
		for id, m := range sendVaried(t, a, r, 100, false) {
			sent[id] = m
		}
		clock.Advance(11 * time.Minute)
		mustTier(t, b) // renews
		clock.Advance(10 * time.Second)
		before := counted.uploads.Load()
		mustTier(t, a) // b holds every lease
		if counted.uploads.Load() != before {
			t.Fatal("a uploaded while b held the leases")
		}
		checkExactlyOnce(t, drainChecked(t, a, r, sent), sent)
	})
}
