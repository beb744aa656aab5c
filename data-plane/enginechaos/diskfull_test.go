package enginechaos

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/e2e/chaos/history"
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

// TestDiskFull: one node on the local store (as `sluice dev`) under a
// recorded load of a standard and a FIFO queue; every few seconds its
// disk is full for 0.8 s, during which calls fail with an error (the
// store's ErrLogFailed; the API answers InternalFailure), and then the
// node restarts on the same directory, since the store takes no writes
// until it is reopened (internal/kv/local: ErrLogFailed). Nothing
// acknowledged may be lost and the history must keep every promise; a
// standard queue's claim answered lazily just before the log failed may
// be undone by the restart, and counts as a crash redelivery.
//
// It runs only with SLUICE_CHAOS_DISKFULL=1: when the fault lands on a
// WAL rotation, Pebble panics after releasing its mutex (db.go rotateWAL)
// and the deferred unlock turns the panic into a Go fatal error, which no
// recover catches. The test binary dies then (seen on a quiet machine in
// make test); a server dies the same way and its restart recovers every
// acknowledged commit, as TestKillDev checks for kill -9.
func TestDiskFull(t *testing.T) {
	if os.Getenv("SLUICE_CHAOS_DISKFULL") == "" {
		t.Skip("SLUICE_CHAOS_DISKFULL=1 runs it: a fault during a WAL rotation is fatal to the test binary")
	}
	full := diskFull()
	dir := filepath.Join(t.TempDir(), "kv")
	fs := errorfs.Wrap(vfs.Default, full)
	open := func() (*local.Store, *engine.Engine) {
		s, err := local.Open(dir, local.Options{FS: fs})
		if err != nil {
			t.Errorf("reopen the local store: %v", err)
			return nil, nil
		}
		e, err := engine.New(s, engine.Options{ReceiptKey: receiptKey, ScanMargin: -1, PollInterval: 50 * time.Millisecond, FlushInterval: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		e.Start(context.Background())
		return s, e
	}
	s, e := open()
	w := newWorkload(e)
	w.createQueues(t)

	stop := make(chan struct{})
	go func() {
		defer close(stop)
		for round := range rounds(t, 3) {
			time.Sleep(1500 * time.Millisecond)
			start := w.rec.Now()
			full.On()
			time.Sleep(800 * time.Millisecond)
			full.Off()
			w.fault(start, fmt.Sprintf("round %d: disk full for 0.8 s", round))
			restart := w.rec.Now()
			_ = e.Close()
			_ = s.Close()
			ns, ne := open()
			if ne == nil {
				return
			}
			w.replace(e, ne)
			s, e = ns, ne
			w.fault(restart, fmt.Sprintf("round %d: restart", round))
		}
		time.Sleep(500 * time.Millisecond)
	}()
	w.run(t, stop)
	defer s.Close()
	defer e.Close()

	var other []string
	for _, op := range w.rec.Ops() {
		if op.Kind != history.Fault && op.Err != "" && !strings.Contains(op.Err, local.ErrLogFailed.Error()) && !strings.Contains(op.Err, local.ErrClosed.Error()) {
			other = append(other, op.Err)
		}
	}
	if len(other) > 0 {
		t.Errorf("%d calls failed with neither ErrLogFailed nor ErrClosed, first: %s", len(other), other[0])
	}
	r := w.check(t, history.Checker{Slack: history.DefaultSlack, LazyClaims: func(q string) bool { return q == stdQ }})
	failOnAnomalies(t, r)
	if r.SendsAcked == 0 || r.Deliveries == 0 || r.SendsUnknown == 0 {
		t.Fatalf("no load ran, or the disk was never full under it: %s", r.Summary())
	}
}
