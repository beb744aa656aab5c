package local_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/local"
)

// TestRealDiskFull fills a real small file system: SLUICE_SMALLFS_DIR
// names an empty directory on one (say a 256 MiB tmpfs, in a private
// mount namespace: see docs/reliability.md, "Disk full"); without it the
// test is skipped. A writer commits 64 KiB values while another file
// takes every free byte, for a second; then that file goes. Writes must
// fail only with ErrNoSpace or ErrLogFailed, resume by themselves, and
// every acknowledged one must survive. SLUICE_SMALLFS_RESERVE sets
// ReserveBytes (-1: no guard, no ballast).
func TestRealDiskFull(t *testing.T) {
	root := os.Getenv("SLUICE_SMALLFS_DIR")
	if root == "" {
		t.Skip("SLUICE_SMALLFS_DIR names a directory on a small file system")
	}
	var reserve int64
	if r := os.Getenv("SLUICE_SMALLFS_RESERVE"); r != "" {
		var err error
		if reserve, err = strconv.ParseInt(r, 10, 64); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(root, "kv")
	s, err := local.Open(dir, local.Options{ReserveBytes: reserve})
	if err != nil {
		t.Fatal(err)
	}
	value := bytes.Repeat([]byte("x"), 64<<10)
	var acked []string
	refused := map[string]int{}
	n := 0
	write := func() error {
		k := fmt.Sprintf("k%06d", n)
		n++
		err := s.Update(context.Background(), func(tx kv.Txn) error { return tx.Set([]byte(k), value) })
		switch {
		case err == nil:
			acked = append(acked, k)
		case errors.Is(err, local.ErrNoSpace):
			refused["ErrNoSpace"]++
		case errors.Is(err, local.ErrLogFailed):
			refused["ErrLogFailed"]++
		default:
			t.Fatalf("write: want ErrNoSpace or ErrLogFailed, got %v", err)
		}
		return err
	}
	for range 200 {
		_ = write()
	}
	hog := filepath.Join(root, "hog")
	fillFS(t, hog)
	until := time.Now().Add(time.Second)
	for time.Now().Before(until) {
		if write() != nil {
			time.Sleep(5 * time.Millisecond)
		}
	}
	if err := os.Remove(hog); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for write() != nil {
		if time.Since(start) > 10*time.Second {
			t.Fatal("writes did not resume within 10 s after space came back")
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("%d writes acknowledged, refused %v; writes resumed %s after space came back", len(acked), refused, time.Since(start))
	if len(refused) == 0 {
		t.Error("no write was refused while the disk was full")
	}
	mustHave(t, s, acked...)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = local.Open(dir, local.Options{ReserveBytes: reserve})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustHave(t, s, acked...)
}

// fillFS writes path until the file system is full.
func fillFS(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 1<<20)
	for {
		if _, err := f.Write(chunk); err != nil {
			break
		}
	}
	small := make([]byte, 4<<10)
	for {
		if _, err := f.Write(small); err != nil {
			return
		}
	}
}
