package local_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/local"
	"github.com/sluice-mq/sluice/internal/kv/local/localfault"
)

// The disk fills under steady writers (a file system that counts space,
// as a real one does): when Pebble first gets ENOSPC, the store frees its
// ballast so Pebble finishes that write, and refuses writes with
// ErrNoSpace; its log never fails. Once space is freed, writes resume by
// themselves and every acknowledged commit is there.
func TestBallastKeepsTheLogAlive(t *testing.T) {
	fs := localfault.NewSpaceFS(vfs.Default, 1<<30)
	dir := filepath.Join(t.TempDir(), "kv")
	s, err := local.Open(dir, local.Options{FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu      sync.Mutex
		acked   []string
		refused int
		wg      sync.WaitGroup
	)
	errs := make(chan error, 2)
	stop := make(chan struct{})
	value := bytes.Repeat([]byte("x"), 4<<10)
	for w := range 2 {
		wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				k := fmt.Sprintf("w%d-%06d", w, n)
				err := s.Update(context.Background(), func(tx kv.Txn) error { return tx.Set([]byte(k), value) })
				mu.Lock()
				switch {
				case err == nil:
					acked = append(acked, k)
				case errors.Is(err, local.ErrNoSpace):
					refused++
				default:
					errs <- fmt.Errorf("writer %d: want ErrNoSpace, got %w", w, err)
					mu.Unlock()
					return
				}
				mu.Unlock()
				if err != nil {
					time.Sleep(5 * time.Millisecond)
				}
			}
		})
	}
	time.Sleep(200 * time.Millisecond)
	fs.Fill()
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		r := refused
		mu.Unlock()
		if r > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("writes never refused on a full disk")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	mu.Lock()
	during := len(acked)
	mu.Unlock()
	fs.Release()
	took := untilWrites(t, s, "space back", 5*time.Second)
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("%d writes acknowledged (%d before writes resumed), %d refused; writes resumed %s after space came back", len(acked), during, refused, took)
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
