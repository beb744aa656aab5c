//go:build !race

// Allocation counts: the race detector's instrumentation allocates, so
// these run without it.

package local_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/local"
)

// A scan's copies take a few allocations, not two per entry.
func TestScanCopiesShareAllocations(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage counters change allocation counts")
	}
	ctx := context.Background()
	s, err := local.Open(t.TempDir(), local.Options{Sync: local.SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Update(ctx, func(tx kv.Txn) error {
		for i := range 40 {
			if err := tx.Set(fmt.Appendf(nil, "k/%02d", i), []byte("value")); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	allocs := func(limit int) float64 {
		return testing.AllocsPerRun(20, func() {
			_ = s.View(ctx, func(r kv.Reader) error {
				_, err := r.Scan(ctx, []byte("k/"), []byte("k0"), limit)
				return err
			})
		})
	}
	one, forty := allocs(1), allocs(40)
	if forty-one > 6 {
		t.Errorf("a scan of 40 entries takes %.0f allocations more than one of 1, want at most 6", forty-one)
	}
}
