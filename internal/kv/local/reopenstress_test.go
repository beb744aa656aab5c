package local_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"

	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/local"
)

// Reopens under every kind of call — durable and lazy writes that read
// with scans and a nested View, plain Views — and a Close while the disk
// is still full and the calls go on: nothing touches a closed database
// (-race, Pebble's own use-after-close panics), nothing hangs, every
// error is an expected one.
func TestReopenUnderMixedCallsThenCloseWhileFull(t *testing.T) {
	full := fullDisk()
	dir := filepath.Join(t.TempDir(), "kv")
	s, err := local.Open(dir, local.Options{FS: errorfs.Wrap(vfs.Default, full)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	expected := func(err error) bool {
		return err == nil || errors.Is(err, kv.ErrUnavailable) || errors.Is(err, local.ErrClosed)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	stop := make(chan struct{})
	call := func(name string, fn func(n int) error) {
		wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := fn(n); !expected(err) {
					errs <- fmt.Errorf("%s: %w", name, err)
					return
				}
				if n%8 == 0 {
					time.Sleep(time.Millisecond) // pace: the machine is shared
				}
			}
		})
	}
	call("update with a nested view", func(n int) error {
		return s.Update(ctx, func(tx kv.Txn) error {
			if _, err := tx.Scan(ctx, []byte("k"), []byte("l"), 20); err != nil {
				return err
			}
			err := s.View(ctx, func(r kv.Reader) error {
				_, err := r.Scan(ctx, []byte("k"), []byte("l"), 20)
				return err
			})
			if !expected(err) {
				return err
			}
			return tx.Set(fmt.Appendf(nil, "k%06d", n), []byte("v"))
		})
	})
	call("lazy update", func(n int) error {
		return s.UpdateLazy(ctx, func(tx kv.Txn) error {
			if _, err := tx.BatchGet(ctx, [][]byte{[]byte("k000001"), []byte("k000002")}); err != nil {
				return err
			}
			if n > 0 {
				if err := tx.Delete(fmt.Appendf(nil, "k%06d", n-1)); err != nil {
					return err
				}
			}
			return tx.Set(fmt.Appendf(nil, "l%06d", n), []byte("v"))
		})
	})
	call("view", func(int) error {
		return s.View(ctx, func(r kv.Reader) error {
			_, err := r.ReverseScan(ctx, []byte("k"), []byte("m"), 50)
			return err
		})
	})
	for range 2 {
		time.Sleep(150 * time.Millisecond)
		full.On()
		time.Sleep(150 * time.Millisecond)
		full.Off()
		untilWrites(t, s, "probe", 10*time.Second)
	}
	full.On()
	time.Sleep(100 * time.Millisecond) // the log fails; the recovery loop waits for space
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Logf("Close with the log failed: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close hangs while calls go on and the disk is full")
	}
	close(stop)
	waitOrFail(t, &wg, 10*time.Second, "calls hang after Close")
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	full.Off()
}
