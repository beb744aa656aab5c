package enginechaos

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/e2e/chaos/history"
	"github.com/sluice-mq/sluice/internal/kv/local"
	"github.com/sluice-mq/sluice/internal/kv/local/localfault"
)

// TestDiskFull: one node on the local store (as `sluice dev`) under a
// recorded load of a standard and a FIFO queue; every 1.5 s of load,
// another process fills its disk for 0.8 s (localfault.SpaceFS: writes
// that need new bytes fail with ENOSPC, removing a file frees its bytes;
// no preallocation, so every append of Pebble's log needs new bytes, and
// the store's ballast is written as zeros). The disk fills right after the
// store's free-space guard has looked, so Pebble meets ENOSPC before the
// guard looks again (filling it at any moment raced the guard's 100 ms
// look: under -race on a slow machine the guard sometimes saw it first
// and the ballast went untested). The ballast Pebble frees lets it finish
// that write, and calls fail with the store's ErrNoSpace. Once
// space is back the same node takes writes again by itself: no restart.
// Nothing acknowledged may be lost and the history must keep every
// promise — with no crash, a standard queue's lazy claims are never
// undone, so every double delivery counts.
func TestDiskFull(t *testing.T) {
	disk := localfault.NewSpaceFS(vfs.Default, 8<<30)
	disk.NoPreallocate = true
	s, err := local.Open(filepath.Join(t.TempDir(), "kv"), local.Options{FS: disk, ReserveBytes: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	e, err := engine.New(s, engine.Options{ReceiptKey: receiptKey, ScanMargin: -1, PollInterval: 50 * time.Millisecond, FlushInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	e.Start(context.Background())
	defer e.Close()
	w := newWorkload(s, e)
	w.createQueues(t)

	stop := make(chan struct{})
	go func() {
		defer close(stop)
		for round := range rounds(t, 3) {
			time.Sleep(1500 * time.Millisecond)
			start := w.rec.Now()
			disk.FillAtNextLook()
			time.Sleep(800 * time.Millisecond)
			disk.Release()
			w.fault(start, fmt.Sprintf("round %d: disk full for 0.8 s", round))
		}
		time.Sleep(1500 * time.Millisecond)
	}()
	w.run(t, stop)

	ops := w.rec.Ops()
	t.Logf("Pebble met ENOSPC %d times", disk.ENOSPCs())
	if disk.ENOSPCs() == 0 {
		t.Error("Pebble never met ENOSPC: the ballast was not tested")
	}
	checkDiskFullErrors(t, ops)
	r := w.check(t, history.Checker{Slack: history.DefaultSlack})
	failOnAnomalies(t, r)
	if r.SendsAcked == 0 || r.Deliveries == 0 || r.SendsUnknown == 0 {
		t.Fatalf("no load ran, or the disk was never full under it: %s", r.Summary())
	}
}

// checkDiskFullErrors: calls failed only with ErrNoSpace (never
// ErrLogFailed: the ballast kept Pebble's log alive), each full period
// refused some, and sends were acknowledged again after each one.
func checkDiskFullErrors(t *testing.T, ops []history.Op) {
	t.Helper()
	var faults []history.Op
	for _, op := range ops {
		switch {
		case op.Kind == history.Fault:
			faults = append(faults, op)
		case op.Err != "" && !strings.Contains(op.Err, local.ErrNoSpace.Error()):
			t.Errorf("a call failed with something other than ErrNoSpace: %s", op.Err)
			return
		}
	}
	for i, f := range faults {
		next := time.Duration(1<<63 - 1)
		if i+1 < len(faults) {
			next = faults[i+1].Invoke
		}
		refused, resumed := 0, 0
		for _, op := range ops {
			switch {
			case op.Kind == history.Fault:
			case op.Err != "" && op.Invoke >= f.Invoke && op.Invoke <= f.Complete:
				refused++
			case op.Err == "" && op.Kind == history.Send && op.Invoke > f.Complete && op.Complete < next:
				resumed++
			}
		}
		t.Logf("%s: %d calls refused, %d sends acknowledged after it", f.Err, refused, resumed)
		if refused == 0 || resumed == 0 {
			t.Errorf("%s: %d calls refused, %d sends acknowledged after it; want both", f.Err, refused, resumed)
		}
	}
}
