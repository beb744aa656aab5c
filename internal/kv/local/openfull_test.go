package local_test

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"

	"github.com/sluice-mq/sluice/internal/kv/local"
)

// recoveryLoops counts the goroutines running a store's recovery loop.
func recoveryLoops() int {
	buf := make([]byte, 1<<20)
	return strings.Count(string(buf[:runtime.Stack(buf, true)]), "local.(*Store).recoverLoop")
}

// An Open that fails on a full disk leaves no recovery loop behind: the
// failed log it met starts one, which must end with the Open, not go on
// reopening a store nobody holds.
func TestOpenOnAFullDiskLeavesNoRecoveryLoop(t *testing.T) {
	// Only the write-ahead log fails: the open gets as far as making one.
	full := &errorfs.Toggle{Injector: errorfs.InjectorFunc(func(op errorfs.Op) error {
		if op.Kind.ReadOrWrite() == errorfs.OpIsWrite && strings.HasSuffix(op.Path, ".log") {
			return fmt.Errorf("%s: %w", op.Path, syscall.ENOSPC)
		}
		return nil
	})}
	fs := errorfs.Wrap(vfs.NewMem(), full)
	dir := filepath.Join("data", "kv")
	s, err := local.Open(dir, local.Options{FS: fs, ReserveBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := put(s, "a"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	full.On()
	before := recoveryLoops() // other tests' stores, still open
	s, err = local.Open(dir, local.Options{FS: fs, ReserveBytes: -1})
	if err == nil {
		t.Logf("Open on a full disk succeeded")
		full.Off()
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	} else {
		t.Logf("Open on a full disk: %v", err)
	}
	time.Sleep(200 * time.Millisecond)
	if n := recoveryLoops(); n > before {
		t.Fatalf("%d recovery loops run after Open failed, %d before it", n, before)
	}
}
