package local_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/local"
	"github.com/sluice-mq/sluice/internal/kv/local/localfault"
)

// The disk fills between two looks of the store's free-space guard, under
// writers of big values (a file system that counts space, as a real one
// does): when Pebble gets ENOSPC, the store frees its ballast so Pebble
// finishes that write, and refuses writes with ErrNoSpace; its log never
// fails. Once space is freed, writes resume by themselves and every
// acknowledged commit is there. Without the ballast and the guard
// (ReserveBytes -1) the log fails.
func TestBallastKeepsTheLogAlive(t *testing.T) {
	const reserve = 1 << 20
	disk := localfault.NewSpaceFS(vfs.Default, 1<<30)
	dir := filepath.Join(t.TempDir(), "kv")
	s, err := local.Open(dir, local.Options{FS: disk, ReserveBytes: reserve})
	if err != nil {
		t.Fatal(err)
	}
	value := bytes.Repeat([]byte("x"), 256<<10)
	write := func(k string) error {
		return s.Update(context.Background(), func(tx kv.Txn) error { return tx.Set([]byte(k), value) })
	}
	var acked []string
	for n := range 4 {
		k := fmt.Sprintf("before-%d", n)
		if err := write(k); err != nil {
			t.Fatal(err)
		}
		acked = append(acked, k)
	}
	// The guard sees room for the reserve; Pebble's next new bytes do not
	// fit.
	disk.Leave(reserve + 64<<10)
	var refused error
	for n := 0; refused == nil; n++ {
		if n == 100 {
			t.Fatal("writes never refused on a full disk")
		}
		k := fmt.Sprintf("filling-%d", n)
		switch err := write(k); {
		case err == nil:
			acked = append(acked, k)
		case errors.Is(err, local.ErrNoSpace):
			refused = err
		default:
			t.Fatalf("write on a full disk: want ErrNoSpace, got %v", err)
		}
	}
	if disk.ENOSPCs() == 0 {
		t.Fatal("Pebble never met ENOSPC: the guard alone stopped the writes")
	}
	t.Logf("%d writes acknowledged, then: %v (%d ENOSPC met by Pebble)", len(acked), refused, disk.ENOSPCs())
	if err := write("still full"); !errors.Is(err, local.ErrNoSpace) {
		t.Fatalf("write while full: want ErrNoSpace, got %v", err)
	}
	disk.Release()
	took := untilWrites(t, s, "space back", 5*time.Second)
	t.Logf("writes resumed %s after space came back", took)
	acked = append(acked, "space back")
	mustHave(t, s, acked...)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = local.Open(dir, local.Options{FS: disk, ReserveBytes: reserve})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustHave(t, s, acked...)
}

// The guard refuses writes while free space is under the reserve, before
// Pebble meets ENOSPC, and lets them through again once there is room.
func TestGuardRefusesWritesUnderTheReserve(t *testing.T) {
	const reserve = 8 << 20
	disk := localfault.NewSpaceFS(vfs.Default, 1<<30)
	s, err := local.Open(filepath.Join(t.TempDir(), "kv"), local.Options{FS: disk, ReserveBytes: reserve})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := put(s, "before"); err != nil {
		t.Fatal(err)
	}
	disk.Leave(reserve / 2)
	time.Sleep(150 * time.Millisecond) // past the guard's last look
	err = put(s, "under the reserve")
	if !errors.Is(err, local.ErrNoSpace) || !errors.Is(err, kv.ErrUnavailable) {
		t.Fatalf("write under the reserve: want ErrNoSpace, got %v", err)
	}
	if disk.ENOSPCs() != 0 {
		t.Fatalf("Pebble met ENOSPC %d times; the guard should have stopped writes first", disk.ENOSPCs())
	}
	disk.Release()
	untilWrites(t, s, "space back", 5*time.Second)
	mustHave(t, s, "before", "space back")
}
