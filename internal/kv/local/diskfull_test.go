package local_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"

	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/local"
)

// fullDisk fails every write with ENOSPC while on.
func fullDisk() *errorfs.Toggle {
	return &errorfs.Toggle{Injector: errorfs.InjectorFunc(func(op errorfs.Op) error {
		if op.Kind.ReadOrWrite() == errorfs.OpIsWrite {
			return fmt.Errorf("%s: %w", op.Path, syscall.ENOSPC)
		}
		return nil
	})}
}

func put(s kv.Store, k string) error {
	return s.Update(context.Background(), func(tx kv.Txn) error { return tx.Set([]byte(k), []byte("v")) })
}

// A full disk fails the log; from then on every write, lazy ones too,
// fails with ErrLogFailed — even once space is back, since Pebble keeps the
// log's error — and reopening the store recovers every acknowledged commit.
// (Before, lazy commits kept succeeding on a log that no longer wrote
// anything, and durable ones failed with a bare sync error.)
func TestFullDiskStopsWritesUntilReopened(t *testing.T) {
	full := fullDisk()
	dir := filepath.Join(t.TempDir(), "kv")
	fs := errorfs.Wrap(vfs.Default, full)
	s, err := local.Open(dir, local.Options{FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	if err := put(s, "before"); err != nil {
		t.Fatal(err)
	}
	full.On()
	if err := put(s, "full"); !errors.Is(err, local.ErrLogFailed) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("commit on a full disk: want ErrLogFailed and ENOSPC, got %v", err)
	}
	lazy := kv.UpdateLazy(context.Background(), s, func(tx kv.Txn) error { return tx.Set([]byte("lazy"), []byte("v")) })
	if !errors.Is(lazy, local.ErrLogFailed) {
		t.Fatalf("lazy commit after the log failed: want ErrLogFailed, got %v", lazy)
	}
	full.Off()
	if err := put(s, "space back"); !errors.Is(err, local.ErrLogFailed) {
		t.Fatalf("commit once space is back: want ErrLogFailed, got %v", err)
	}
	_ = s.Close()
	s, err = local.Open(dir, local.Options{FS: fs})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if err := put(s, "reopened"); err != nil {
		t.Fatalf("commit after reopening: %v", err)
	}
	err = s.View(context.Background(), func(r kv.Reader) error {
		for _, k := range []string{"before", "reopened"} {
			if _, err := r.Get(context.Background(), []byte(k)); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Concurrent writers when the disk fills: Pebble panics in a commit that
// finds the log already failed; the store turns that into ErrLogFailed for
// the caller and every later one, instead of crashing the process (or, under
// net/http's recovery, leaving Pebble's commit lock held and every later
// write hanging).
func TestFullDiskUnderConcurrentWriters(t *testing.T) {
	full := fullDisk()
	s, err := local.Open(filepath.Join(t.TempDir(), "kv"), local.Options{FS: errorfs.Wrap(vfs.Default, full)})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	deadline := time.Now().Add(2 * time.Second)
	for w := range 8 {
		wg.Go(func() {
			var last error
			for n := 0; time.Now().Before(deadline); n++ {
				if n == 50 && w == 0 {
					full.On()
				}
				last = put(s, fmt.Sprintf("w%d-%d", w, n))
				if last != nil && !errors.Is(last, local.ErrLogFailed) {
					errs <- fmt.Errorf("writer %d: want ErrLogFailed, got %w", w, last)
					return
				}
			}
			if !errors.Is(last, local.ErrLogFailed) {
				errs <- fmt.Errorf("writer %d: last write %v, want ErrLogFailed", w, last)
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("writers hang after the disk filled")
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	full.Off()
	_ = s.Close()
}
