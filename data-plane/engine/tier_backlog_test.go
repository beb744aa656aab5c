package engine_test

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/internal/blob"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
	"github.com/sluice-mq/sluice/internal/kv/local"
)

// backlogBody is message i's 1 KiB body: its number, then characters from
// a generator seeded with it, so a reader checks a body without keeping it.
func backlogBody(i int) string {
	b := make([]byte, 1024)
	copy(b, fmt.Sprintf("%08d:", i))
	r := rand.New(rand.NewPCG(uint64(i), 7))
	for j := 9; j < len(b); j++ {
		b[j] = byte('!' + r.IntN(94))
	}
	return string(b)
}

func backlogIndex(body string, n int) (int, error) {
	i, err := strconv.Atoi(body[:min(len(body), 8)])
	if err != nil || i < 0 || i >= n || body != backlogBody(i) {
		return 0, fmt.Errorf("body %q… is not what was sent", body[:min(len(body), 20)])
	}
	return i, nil
}

// TestTierBacklog sends a backlog of 1 KiB messages to a queue whose hot
// window is 0, so bodies go cold while the sends go on; restarts the node
// after half the sends and again after half the drain; then drains it all
// and checks every body, each delivered exactly once. The count is
// SLUICE_BACKLOG (1,000,000 by default, on the local store with S3 through
// versitygw); the tikv mock, slow under contention, takes 10,000, and
// -short (the race pass) 5,000 on both.
func TestTierBacklog(t *testing.T) {
	n := 1_000_000
	if v := os.Getenv("SLUICE_BACKLOG"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			t.Fatal(err)
		}
	}
	if testing.Short() {
		n = 5_000
	}
	s3blobs := versityBlobs(t)
	t.Run("local+s3", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "kv")
		open := func(t *testing.T) kv.Store {
			s, err := local.Open(dir, local.Options{})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		runBacklog(t, n, open, s3blobs(t))
	})
	t.Run("tikv+fs", func(t *testing.T) {
		store := kvtest.OpenMockTiKV(t)
		runBacklog(t, min(n, 10_000), func(*testing.T) kv.Store { return nopClose{store} }, openFSBlobs(t))
	})
}

// nopClose keeps the mock store across a restart: it lives in memory.
type nopClose struct{ kv.Store }

func (nopClose) Close() error { return nil }

func runBacklog(t *testing.T, n int, open func(*testing.T) kv.Store, blobs blob.Store) {
	start := time.Now()
	node := startBacklogNode(t, open, blobs)
	r := mustCreate(t, node.e, "backlog", nil)
	if err := node.e.Catalog().SetTiering(ctx, r, queues.TieringSettings{HotWindowSeconds: 0, HotBytesBudget: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	ids := make([]string, n) // message ids, to say where a missing one is
	sendBacklog(t, node.e, r, ids, 0, n/2)
	node.stop(t)
	node = startBacklogNode(t, open, blobs)
	sendBacklog(t, node.e, r, ids, n/2, n)
	sent := time.Since(start)

	// Let tiering finish what the sends left hot.
	deadline := time.Now().Add(5 * time.Minute)
	var rb engine.RecordBytes
	for {
		mustTier(t, node.e)
		rb = recordBytes(t, node.e, r)
		if rb.Cold+rb.Hot != n {
			t.Fatalf("%d records stored, want %d", rb.Cold+rb.Hot, n)
		}
		if float64(rb.Cold) >= 0.99*float64(n) || time.Now().After(deadline) {
			break
		}
	}
	st := storage(t, node.e, r)
	t.Logf("%d sent in %v; %d cold, %d hot; storage %+v; cold record %.1f B, index entry %.1f B per message",
		n, sent.Round(time.Millisecond), rb.Cold, rb.Hot, st, float64(rb.ColdOverhead)/float64(max(rb.Cold, 1)), float64(rb.IndexBytes)/float64(n))
	if float64(rb.Cold) < 0.99*float64(n) {
		t.Fatalf("only %d of %d messages cold", rb.Cold, n)
	}

	seen := make([]atomic.Int32, n)
	drainStart := time.Now()
	drainBacklog(t, node.e, r, seen, n/2)
	node.stop(t)
	node = startBacklogNode(t, open, blobs)
	drainBacklog(t, node.e, r, seen, n)
	drained := time.Since(drainStart)
	checkDelivered(t, node.e, r, seen, ids)
	if st := storage(t, node.e, r); st.Messages != 0 {
		t.Fatalf("storage after the drain: %+v; %s", st, describeLeftovers(node.e, r, ids))
	}
	t.Logf("drained %d in %v (%.0f msgs/s); cold stats %+v", n, drained.Round(time.Millisecond), float64(n)/drained.Seconds(), node.e.ColdStats())
	node.stop(t)
}

type backlogNode struct {
	e       *engine.Engine
	store   kv.Store
	stopped bool
}

func startBacklogNode(t *testing.T, open func(*testing.T) kv.Store, blobs blob.Store) *backlogNode {
	store := open(t)
	e, err := engine.New(store, engine.Options{ReceiptKey: receiptKey, ScanMargin: -1,
		Tiering: engine.TieringOptions{Blobs: blobs, Interval: 200 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	e.Start(ctx)
	b := &backlogNode{e: e, store: store}
	// A failed test skips stop: close the engine before the store goes,
	// or its loops log errors against a closed store for the rest of the run.
	t.Cleanup(func() {
		if !b.stopped {
			_ = e.Close()
		}
	})
	return b
}

func (b *backlogNode) stop(t *testing.T) {
	b.stopped = true
	if err := b.e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.store.Close(); err != nil {
		t.Fatal(err)
	}
}

// sendBacklog sends messages [from, to) in batches of 10 from 4 producers.
func sendBacklog(t *testing.T, e *engine.Engine, r queues.Ref, ids []string, from, to int) {
	var (
		next atomic.Int64
		wg   sync.WaitGroup
		fail atomic.Value
	)
	next.Store(int64(from))
	for range 4 {
		wg.Go(func() {
			for {
				i := int(next.Add(10)) - 10
				if i >= to || fail.Load() != nil {
					return
				}
				batch := make([]engine.SendInput, 0, 10)
				for j := i; j < min(i+10, to); j++ {
					batch = append(batch, engine.SendInput{Body: backlogBody(j)})
				}
				res, err := e.SendMessageBatch(ctx, r, batch)
				if err == nil {
					for k, br := range res {
						if br.Err != nil {
							err = br.Err
						}
						ids[i+k] = br.Result.MessageID
					}
				}
				if err != nil {
					fail.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := fail.Load(); err != nil {
		t.Fatalf("send: %v", err)
	}
}

// drainPatience is how long a drain waits without a delivery while the
// queue still holds messages. An empty receive proves nothing: a claim
// skips a message another transaction holds (another consumer's claim, a
// compaction re-pointing the segment's records), and on a loaded machine
// that can last seconds; a lock left by a transaction cut short lasts
// until its TTL (20 s) or the tikv mock's GC (10 s) resolves it.
const drainPatience = time.Minute

// drainBacklog receives and deletes with 4 consumers until want distinct
// messages in all have been seen. It ends early only when the queue holds no
// message records (any still missing are gone) or nothing was delivered
// for drainPatience (any still missing are stored but undeliverable):
// checkDelivered tells the two apart.
func drainBacklog(t *testing.T, e *engine.Engine, r queues.Ref, seen []atomic.Int32, want int) {
	var (
		total    atomic.Int64 // messages seen at least once
		progress atomic.Int64 // unix ns of the last delivery
		done     atomic.Bool
		wg       sync.WaitGroup
		fail     atomic.Pointer[error] // the first error
	)
	failed := func(err error) { fail.CompareAndSwap(nil, &err) }
	for i := range seen {
		if seen[i].Load() > 0 {
			total.Add(1)
		}
	}
	progress.Store(time.Now().UnixNano())
	zero := 0
	for range 4 {
		wg.Go(func() {
			for !done.Load() && fail.Load() == nil {
				msgs, err := e.ReceiveMessage(ctx, r, engine.ReceiveInput{MaxNumberOfMessages: 10, WaitTimeSeconds: &zero})
				if err != nil {
					failed(err)
					return
				}
				if len(msgs) == 0 {
					time.Sleep(10 * time.Millisecond)
					continue
				}
				progress.Store(time.Now().UnixNano())
				handles := make([]string, len(msgs))
				for i, m := range msgs {
					idx, err := backlogIndex(m.Body, len(seen))
					if err != nil {
						failed(err)
						return
					}
					if seen[idx].Add(1) == 1 {
						total.Add(1)
					}
					handles[i] = m.ReceiptHandle
				}
				// A failed delete would bring its message back a visibility
				// timeout later, as a second delivery: say so here.
				res, err := e.DeleteMessageBatch(ctx, r, handles)
				if err == nil {
					for _, br := range res {
						err = cmp.Or(err, br.Err)
					}
				}
				if err != nil {
					failed(fmt.Errorf("delete: %w", err))
					return
				}
			}
		})
	}
	// The consumers stop when want are seen; while nothing is delivered,
	// look once a second whether the queue still holds anything at all.
	for looked := time.Now(); !done.Load() && fail.Load() == nil; {
		time.Sleep(10 * time.Millisecond)
		idle := time.Since(time.Unix(0, progress.Load()))
		switch {
		case total.Load() >= int64(want), idle >= drainPatience:
			done.Store(true)
		case idle >= time.Second && time.Since(looked) >= time.Second:
			looked = time.Now()
			rb, err := e.RecordBytes(ctx, r)
			if err != nil {
				failed(err)
			} else if rb.Cold+rb.Hot == 0 {
				done.Store(true)
			}
		}
	}
	done.Store(true)
	wg.Wait()
	if err := fail.Load(); err != nil {
		t.Fatalf("drain: %v", *err)
	}
}

// checkDelivered fails the test for every message not delivered exactly
// once, saying for one delivered 0 times whether it is gone from the
// store (lost: rule zero broken) or still stored and where (not delivered
// within drainPatience: a liveness bug, not a loss).
func checkDelivered(t *testing.T, e *engine.Engine, r queues.Ref, seen []atomic.Int32, ids []string) {
	t.Helper()
	bad := 0
	for i := range seen {
		c := seen[i].Load()
		if c == 1 {
			continue
		}
		if bad++; bad > 10 {
			continue // counted below; ten described are enough
		}
		switch stored, err := e.MessageStored(ctx, r, ids[i]); {
		case c != 0:
			t.Errorf("message %d (%s) delivered %d times", i, ids[i], c)
		case err != nil:
			t.Errorf("message %d (%s) delivered 0 times; reading its record: %v", i, ids[i], err)
		case !stored:
			t.Errorf("message %d (%s) delivered 0 times and no longer stored: LOST", i, ids[i])
		default:
			t.Errorf("message %d (%s) delivered 0 times but still stored, undelivered for %v: %s",
				i, ids[i], drainPatience, e.DescribeMessage(ctx, r, ids[i]))
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d messages not delivered exactly once", bad, len(seen))
	}
}

// describeLeftovers says which message records a drained queue still
// holds: none means its counts are off; some, delivered once each, mean
// their deletes did not take.
func describeLeftovers(e *engine.Engine, r queues.Ref, ids []string) string {
	left, err := e.StoredMessageIDs(ctx, r)
	if err != nil {
		return fmt.Sprintf("listing records: %v", err)
	}
	index := make(map[string]int, len(ids))
	for i, id := range ids {
		index[id] = i
	}
	out := fmt.Sprintf("%d message records left", len(left))
	for _, id := range left[:min(5, len(left))] {
		out += fmt.Sprintf("; message %d (%s): %s", index[id], id, e.DescribeMessage(ctx, r, id))
	}
	return out
}
