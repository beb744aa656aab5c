package enginechaos

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"

	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/local"
)

// diskFull fails every write to the file system with ENOSPC while on.
func diskFull() *errorfs.Toggle {
	return &errorfs.Toggle{Injector: errorfs.InjectorFunc(func(op errorfs.Op) error {
		if op.Kind.ReadOrWrite() == errorfs.OpIsWrite {
			return fmt.Errorf("%s: %w", op.Path, syscall.ENOSPC)
		}
		return nil
	})}
}

// TestDiskFullStickyWAL pins what the local store does when its disk
// fills: the commit fails with ENOSPC, and so does every commit after it,
// even once space is back — Pebble keeps its write-ahead log's first
// error — until the store is opened again, which finds every commit that
// was acknowledged before the disk filled. (Under load Pebble may instead
// panic in the committing goroutine, when it cannot create the next log
// file: docs/reliability.md, "Disk full".)
func TestDiskFullStickyWAL(t *testing.T) {
	full := diskFull()
	dir := filepath.Join(t.TempDir(), "kv")
	fs := errorfs.Wrap(vfs.Default, full)
	s, err := local.Open(dir, local.Options{FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	set := func(s kv.Store, k string) error {
		return s.Update(ctx, func(tx kv.Txn) error { return tx.Set([]byte(k), []byte("v")) })
	}
	if err := set(s, "before"); err != nil {
		t.Fatal(err)
	}
	full.On()
	if err := set(s, "full"); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("commit on a full disk: want ENOSPC, got %v", err)
	}
	full.Off()
	if err := set(s, "space back"); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("commit once space is back: want Pebble's sticky ENOSPC, got %v (if Pebble now recovers, update docs/reliability.md)", err)
	}
	_ = s.Close() // fails with the WAL's error, but releases the store
	s, err = local.Open(dir, local.Options{FS: fs})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if err := set(s, "reopened"); err != nil {
		t.Fatalf("commit after reopening: %v", err)
	}
	err = s.View(ctx, func(r kv.Reader) error {
		for _, k := range []string{"before", "reopened"} {
			if _, err := r.Get(ctx, []byte(k)); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
