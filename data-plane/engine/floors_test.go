package engine_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

// An entry committed below the scan floor (a writer that read its clock
// long before committing) is found and moved up by the sweeper.
func TestSweeperRescuesEntriesBelowTheFloor(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, clock *fakeClock) {
		q := mustCreate(t, e, "q", nil)
		mustSend(t, e, q, "stray")
		clock.AdvanceSeconds(60)
		e.RaiseFloors(ctx, q, clock.Now().UnixMilli())
		if got := receive(t, e, q, 1); len(got) != 0 {
			t.Fatalf("entry below the floor was scanned: %v", got)
		}
		if err := e.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if got := receive(t, e, q, 1); len(got) != 1 || got[0].Body != "stray" {
			t.Fatalf("after the sweep: %v", got)
		}
	})
}

// pausedStore is a store whose next View or Update, once armed, runs hook
// after its snapshot is taken and before the caller reads anything: a
// scan slowed between its snapshot and its clock reading, as by store
// retries.
type pausedStore struct {
	kv.Store
	hook atomic.Pointer[func()]
}

func (s *pausedStore) pause() {
	if h := s.hook.Swap(nil); h != nil {
		(*h)()
	}
}

func (s *pausedStore) View(ctx context.Context, fn func(kv.Reader) error) error {
	return s.Store.View(ctx, func(r kv.Reader) error {
		s.pause()
		return fn(r)
	})
}

func (s *pausedStore) Update(ctx context.Context, fn func(kv.Txn) error) error {
	return s.Store.Update(ctx, func(tx kv.Txn) error {
		s.pause()
		return fn(tx)
	})
}

// A scan whose snapshot is older than its clock reading cannot see what
// committed in between, however old that entry's visibility time: its
// floor rises from a reading taken before the snapshot. Raised from the
// later reading, the floor passed over a message sent in that gap, and no
// receive found it again (only the sweeper's rescue would).
func TestFloorRisesFromBeforeTheSnapshot(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, inner kv.Store) {
		store := &pausedStore{Store: inner}
		clock := newFakeClock()
		e := newEngine(t, store, clock.Now)
		q := mustCreate(t, e, "q", nil)
		hook := func() {
			mustSend(t, e, q, "sent after the snapshot")
			clock.AdvanceSeconds(10) // the scan reads its clock only now
		}
		store.hook.Store(&hook)
		if got := receive(t, e, q, 1); len(got) != 0 {
			t.Fatalf("the scan saw a message sent after its snapshot: %v", got)
		}
		clock.AdvanceSeconds(2) // past the scan hint: the next scan starts at the floor
		if got := receive(t, e, q, 1); len(got) != 1 || got[0].Body != "sent after the snapshot" {
			t.Fatalf("the message sent after the scan's snapshot is below the floor: %v", got)
		}
	})
}

// The same for a claim's scan, which runs in its transaction: on TiKV
// another transaction commits between its snapshot and its clock reading
// (the local store's transactions run one at a time).
func TestClaimFloorRisesFromBeforeTheSnapshot(t *testing.T) {
	store := &pausedStore{Store: kvtest.OpenMockTiKV(t)}
	clock := newFakeClock()
	e := newEngine(t, store, clock.Now)
	q := mustCreate(t, e, "q", nil)
	mustSend(t, e, q, "first")
	if got := receive(t, e, q, 1); len(got) != 1 { // the next receive claims at once
		t.Fatalf("first receive: %v", got)
	}
	hook := func() {
		mustSend(t, e, q, "sent after the snapshot")
		clock.AdvanceSeconds(10)
	}
	store.hook.Store(&hook)
	// The claim finds nothing; the receive then looks again on a fresh
	// snapshot, from the hint or floor the claim left.
	got := receive(t, e, q, 1)
	if store.hook.Load() != nil {
		t.Fatal("the receive ran no transaction")
	}
	if len(got) == 0 {
		clock.AdvanceSeconds(2) // past the scan hint: the next scan starts at the floor
		got = receive(t, e, q, 1)
	}
	if len(got) != 1 || got[0].Body != "sent after the snapshot" {
		t.Fatalf("the message sent after the claim's snapshot is below the floor: %v", got)
	}
}
