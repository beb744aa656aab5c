package local_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"

	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/local"
)

// fullDisk fails every write but the MANIFEST's with ENOSPC while on, freeing nothing when
// a file is removed: the harshest full disk, which Pebble's log cannot
// survive.
//
// It spares the MANIFEST: Pebble treats a failed MANIFEST write (a
// compaction's or a flush's version edit) as fatal by design and panics,
// and no store can recover from that in place. A real disk does not get
// there: the free-space guard refuses writes 64 MiB early and the ballast
// gives Pebble room to finish (TestDiskFull's SpaceFS, TestRealDiskFull).
// With every write failing, TestReopenUnderMixedCallsThenCloseWhileFull's
// background compactions met it in about one run in ten.
func fullDisk() *errorfs.Toggle {
	return &errorfs.Toggle{Injector: errorfs.InjectorFunc(func(op errorfs.Op) error {
		if op.Kind.ReadOrWrite() == errorfs.OpIsWrite && !strings.HasPrefix(filepath.Base(op.Path), "MANIFEST-") {
			return fmt.Errorf("%s: %w", op.Path, syscall.ENOSPC)
		}
		return nil
	})}
}

func put(s kv.Store, k string) error {
	return s.Update(context.Background(), func(tx kv.Txn) error { return tx.Set([]byte(k), []byte("v")) })
}

// untilWrites retries a write until the store takes it again.
func untilWrites(t *testing.T, s kv.Store, k string, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		err := put(s, k)
		if err == nil {
			return time.Since(start)
		}
		if !errors.Is(err, kv.ErrUnavailable) {
			t.Fatalf("write while recovering: want an ErrUnavailable, got %v", err)
		}
		if time.Since(start) > within {
			t.Fatalf("writes did not resume within %s after space came back: %v", within, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func mustHave(t *testing.T, s kv.Store, keys ...string) {
	t.Helper()
	err := s.View(context.Background(), func(r kv.Reader) error {
		for _, k := range keys {
			if _, err := r.Get(context.Background(), []byte(k)); err != nil {
				return fmt.Errorf("acknowledged %s: %w", k, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A full disk fails the log; every write, lazy ones too, then fails with
// ErrLogFailed while reads go on, and once space is back the store reopens
// itself, keeping every acknowledged commit. (Before, writes failed until
// the caller reopened the store: in sluice, until the process restarted.)
func TestFullDiskRecoversByItself(t *testing.T) {
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
	err = put(s, "full")
	if !errors.Is(err, local.ErrLogFailed) || !errors.Is(err, syscall.ENOSPC) || !errors.Is(err, kv.ErrUnavailable) {
		t.Fatalf("commit on a full disk: want ErrLogFailed, ENOSPC and kv.ErrUnavailable, got %v", err)
	}
	lazy := kv.UpdateLazy(context.Background(), s, func(tx kv.Txn) error { return tx.Set([]byte("lazy"), []byte("v")) })
	if !errors.Is(lazy, local.ErrLogFailed) {
		t.Fatalf("lazy commit after the log failed: want ErrLogFailed, got %v", lazy)
	}
	time.Sleep(300 * time.Millisecond) // reopen attempts fail meanwhile
	mustHave(t, s, "before")
	full.Off()
	took := untilWrites(t, s, "space back", 10*time.Second)
	t.Logf("writes resumed %s after space came back", took)
	mustHave(t, s, "before", "space back")
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	s, err = local.Open(dir, local.Options{FS: fs})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	mustHave(t, s, "before", "space back")
}

// Closing a store whose log failed, with the disk still full, neither
// hangs nor panics, and stops its recovery.
func TestCloseWhileLogFailed(t *testing.T) {
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
	if err := put(s, "full"); !errors.Is(err, local.ErrLogFailed) {
		t.Fatalf("want ErrLogFailed, got %v", err)
	}
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		t.Logf("close on a failed log: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("close hangs on a failed log")
	}
	full.Off()
	s, err = local.Open(dir, local.Options{FS: fs})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	mustHave(t, s, "before")
}

// Writers and readers through repeated full periods: writes fail only
// with ErrLogFailed (Pebble may panic in a commit that finds the log
// failed; the store must never let that crash or hang it) or, when a
// flush's or a compaction's write met the full disk before the log did,
// with ErrNoSpace (Pebble's disk-full hook ran: the guard refuses writes
// until it sees room; one run in about twenty), reads never
// fail or crash while the store swaps its database, writes resume after
// each period, and every acknowledged commit survives.
func TestFullDiskUnderConcurrentWriters(t *testing.T) {
	full := fullDisk()
	dir := filepath.Join(t.TempDir(), "kv")
	fs := errorfs.Wrap(vfs.Default, full)
	s, err := local.Open(dir, local.Options{FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		acked []string
	)
	errs := make(chan error, 16)
	stop := make(chan struct{})
	for w := range 4 {
		wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				k := fmt.Sprintf("w%d-%d", w, n)
				err := put(s, k)
				switch {
				case err == nil:
					mu.Lock()
					acked = append(acked, k)
					mu.Unlock()
				case !errors.Is(err, local.ErrLogFailed) && !errors.Is(err, local.ErrNoSpace):
					errs <- fmt.Errorf("writer %d: want ErrLogFailed or ErrNoSpace, got %w", w, err)
					return
				default:
					time.Sleep(time.Millisecond)
				}
			}
		})
	}
	for r := range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				err := s.View(context.Background(), func(rd kv.Reader) error {
					_, err := rd.Scan(context.Background(), []byte("w"), []byte("x"), 50)
					return err
				})
				if err != nil && !errors.Is(err, local.ErrLogFailed) {
					errs <- fmt.Errorf("reader %d: %w", r, err)
					return
				}
			}
		})
	}
	for range 3 {
		time.Sleep(200 * time.Millisecond)
		full.On()
		time.Sleep(200 * time.Millisecond)
		full.Off()
		untilWrites(t, s, "probe", 10*time.Second)
	}
	time.Sleep(100 * time.Millisecond)
	close(stop)
	waitOrFail(t, &wg, 30*time.Second, "writers or readers hang after the disk filled")
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("%d writes acknowledged", len(acked))
	mustHave(t, s, acked...)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = local.Open(dir, local.Options{FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustHave(t, s, acked...)
}

// waitOrFail waits for wg, failing t with what if it takes longer than d.
func waitOrFail(t *testing.T, wg *sync.WaitGroup, d time.Duration, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatal(what)
	}
}
