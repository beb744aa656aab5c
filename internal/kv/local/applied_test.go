package local_test

import (
	"context"
	"errors"
	"testing"

	"github.com/sluice-mq/sluice/internal/kv"
)

// TestOnAppliedRunsOnceTheWritesAreVisible: OnApplied's function runs
// before Update returns, once a new read sees the transaction's writes,
// for durable and lazy commits; and once the transaction ends without
// writes, written nothing or failed. The engine's write guard lets go
// there, so a scan's hint does not trail a durable commit's log sync.
func TestOnAppliedRunsOnceTheWritesAreVisible(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	updates := map[string]func(context.Context, func(kv.Txn) error) error{
		"durable": s.Update,
		"lazy":    s.UpdateLazy,
	}
	for name, update := range updates {
		t.Run(name, func(t *testing.T) {
			key := []byte("applied/" + name)
			var runs int
			var sawWrite bool
			err := update(ctx, func(tx kv.Txn) error {
				n, ok := tx.(kv.ApplyNotifier)
				if !ok {
					t.Fatal("the local store's transaction is not a kv.ApplyNotifier")
				}
				n.OnApplied(func() {
					runs++
					sawWrite = valueOf(t, s, key) == "v" // a View takes no lock
				})
				return tx.Set(key, []byte("v"))
			})
			if err != nil {
				t.Fatal(err)
			}
			if runs != 1 || !sawWrite {
				t.Fatalf("OnApplied ran %d times, saw the write: %v; want once, after it is visible", runs, sawWrite)
			}
		})
	}
	t.Run("nothing written", func(t *testing.T) {
		runs := 0
		mustUpdate(t, s, func(tx kv.Txn) error {
			tx.(kv.ApplyNotifier).OnApplied(func() { runs++ })
			return nil
		})
		if runs != 1 {
			t.Fatalf("OnApplied ran %d times for a transaction that wrote nothing, want 1", runs)
		}
	})
	t.Run("failed", func(t *testing.T) {
		runs := 0
		failed := errors.New("no")
		err := s.Update(ctx, func(tx kv.Txn) error {
			tx.(kv.ApplyNotifier).OnApplied(func() { runs++ })
			_ = tx.Set([]byte("applied/failed"), []byte("v"))
			return failed
		})
		if !errors.Is(err, failed) || runs != 1 {
			t.Fatalf("Update: %v, OnApplied ran %d times; want the error and once", err, runs)
		}
	})
}
