package engine_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

// TestScanHintsFindLateEntries: a message another node commits below this
// node's scan hint (its clock is behind) is still delivered, at the latest
// by the next full scan from the floor.
func TestScanHintsFindLateEntries(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		clock := newFakeClock()
		behind := func() time.Time { return clock.Now().Add(-2 * time.Second) }
		here := newEngine(t, store, clock.Now)
		slow, err := engine.New(store, engine.Options{Clock: behind, ReceiptKey: receiptKey})
		if err != nil {
			t.Fatal(err)
		}
		checkInvariantsAtEnd(t, store, slow)
		t.Cleanup(func() { _ = slow.Close() })

		q := mustCreate(t, here, "late", nil)
		mustSend(t, here, q, "first")
		if got := receive(t, here, q, 10); len(got) != 1 {
			t.Fatalf("received %d, want 1", len(got))
		}
		// Every shard has now been scanned by `here`, so its hints sit near
		// its clock; the slow node's message lands 2 s below them.
		clock.Advance(10 * time.Millisecond)
		if _, err := slow.SendMessage(ctx, q, engine.SendInput{Body: "late"}); err != nil {
			t.Fatal(err)
		}
		var got []engine.Message
		for range 3 {
			if got = receive(t, here, q, 10); len(got) > 0 {
				break
			}
			clock.Advance(600 * time.Millisecond) // two steps pass hintRescan
		}
		if len(got) != 1 || got[0].Body != "late" {
			t.Fatalf("late message not delivered: %+v", got)
		}
	})
}

// A hint must not pass over an entry whose writer read the clock before
// the scan began and committed after the scan's snapshot: the write guard
// that keeps the hint below that reading is read before the snapshot.
// Read after the scan, it missed a writer that committed in between, and
// the entry stayed hidden until the next full scan (hintRescan).
func TestHintHoldsForAWriterThatCommitsDuringTheScan(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, inner kv.Store) {
		store := &steppedStore{Store: inner}
		clock := newFakeClock()
		// No scan margin, as sluice dev runs: the margin (for other nodes'
		// late commits) would hide the gap.
		e := newEngineWith(t, store, engine.Options{Clock: clock.Now, ScanMargin: -1})
		q := mustCreate(t, e, "q", nil)
		if got := receive(t, e, q, 1); len(got) != 0 { // the hints start here
			t.Fatalf("an empty queue gave %v", got)
		}

		// The send reads its clock, then waits, uncommitted.
		written, commit, sent := make(chan struct{}), make(chan struct{}), make(chan error, 1)
		afterFn := func() { close(written); <-commit }
		store.afterFn.Store(&afterFn)
		go func() {
			_, err := e.SendMessage(ctx, q, engine.SendInput{Body: "late"})
			sent <- err
		}()
		<-written
		clock.Advance(5 * time.Millisecond) // the receive's clock is past the send's
		// The receive's look takes its snapshot; only then does the send
		// commit, and return, before the look reads on.
		inView := func() {
			close(commit)
			if err := <-sent; err != nil {
				t.Error(err)
			}
		}
		store.inView.Store(&inView)
		if got := receive(t, e, q, 1); len(got) != 0 {
			t.Fatalf("the look saw a message committed after its snapshot: %v", got)
		}
		if store.inView.Load() != nil {
			t.Fatal("the receive took no snapshot")
		}
		if got := receive(t, e, q, 1); len(got) != 1 || got[0].Body != "late" {
			t.Fatalf("the message committed during the last scan is below its hint: %v", got)
		}
	})
}

// steppedStore runs afterFn, once armed, when an Update's function has
// returned and before it commits, and inView when a View has taken its
// snapshot and read nothing yet.
type steppedStore struct {
	kv.Store
	afterFn, inView atomic.Pointer[func()]
}

func (s *steppedStore) Update(ctx context.Context, fn func(kv.Txn) error) error {
	return s.Store.Update(ctx, func(tx kv.Txn) error {
		err := fn(tx)
		if h := s.afterFn.Swap(nil); h != nil {
			(*h)()
		}
		return err
	})
}

func (s *steppedStore) View(ctx context.Context, fn func(kv.Reader) error) error {
	return s.Store.View(ctx, func(r kv.Reader) error {
		if h := s.inView.Swap(nil); h != nil {
			(*h)()
		}
		return fn(r)
	})
}
