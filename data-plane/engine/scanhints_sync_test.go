package engine_test

import (
	"math"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/internal/kv/local"
	"github.com/sluice-mq/sluice/internal/kv/local/localfault"
)

// syncGate holds the write-ahead log's syncs (localfault.WALSyncFS's
// BeforeSync) back, once shut, until it opens again: a slow disk.
type syncGate struct {
	mu      sync.Mutex
	shut    chan struct{} // nil while open
	waiting chan struct{} // closed when a sync first waits at the shut gate
}

func (g *syncGate) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.shut, g.waiting = make(chan struct{}), make(chan struct{})
}

func (g *syncGate) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.shut != nil {
		close(g.shut)
		g.shut = nil
	}
}

// pass waits while the gate is shut.
func (g *syncGate) pass() {
	g.mu.Lock()
	shut, waiting := g.shut, g.waiting
	if shut != nil {
		select {
		case <-waiting:
		default:
			close(waiting)
		}
	}
	g.mu.Unlock()
	if shut != nil {
		<-shut
	}
}

// A durable send on the local store stops holding scan hints back once its
// writes are visible, before its log sync ends (kv.ApplyNotifier): held
// until the sync, every hint of this node trailed the clock by the sync's
// time, and each scan walked the entries consumed meanwhile again.
func TestWriteGuardLetsGoBeforeTheSync(t *testing.T) {
	gate := &syncGate{}
	fs := &localfault.WALSyncFS{FS: vfs.Default, BeforeSync: gate.pass}
	store, err := local.Open(t.TempDir(), local.Options{FS: fs, ReserveBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	t.Cleanup(gate.open) // before the close, should the test fail shut
	clock := newFakeClock()
	e := newEngineWith(t, store, engine.Options{Clock: clock.Now, ScanMargin: -1})
	q := mustCreate(t, e, "q", nil)

	gate.close()
	sent := make(chan error, 1)
	go func() {
		_, err := e.SendMessage(ctx, q, engine.SendInput{Body: "slow disk"})
		sent <- err
	}()
	select {
	case <-gate.waiting:
	case <-time.After(10 * time.Second):
		t.Fatal("waited 10 s for the send's log sync")
	}
	waitUntil(t, "the send's guard let go while its sync waits", func() bool { return e.WriteGuardLow() == math.MaxInt64 })
	select {
	case err := <-sent:
		t.Fatalf("the send returned before its sync: %v", err)
	default:
	}
	gate.open()
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	if got := receive(t, e, q, 1); len(got) != 1 || got[0].Body != "slow disk" {
		t.Fatalf("received %v", got)
	}
}
