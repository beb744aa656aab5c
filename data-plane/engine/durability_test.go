package engine_test

import (
	"errors"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/internal/kv/local"
)

// Every acknowledged SendMessage survives a power loss, and so does every
// acknowledged DeleteMessage of a FIFO queue: the local store runs on a
// crashable in-memory file system and is reopened on a clone holding only
// what was fsynced (SIGKILL cannot test this: the page cache outlives the
// process). A standard queue's receive claims and deletes are lazy
// commits and may be lost, which only makes their messages visible again
// (SQS delivers at least once, even after a delete).
func TestPowerLossKeepsAcknowledgedSendsAndDeletes(t *testing.T) {
	skipInvariants(t, "a power loss drops count deltas not yet flushed, and the store is closed before the test ends")
	t.Run("standard", func(t *testing.T) { testPowerLoss(t, false) })
	t.Run("FIFO", func(t *testing.T) { testPowerLoss(t, true) })
}

func testPowerLoss(t *testing.T, fifo bool) {
	mem := vfs.NewCrashableMem()
	store, err := local.Open("/kv", local.Options{FS: mem})
	if err != nil {
		t.Fatal(err)
	}
	clock := newFakeClock()
	e, err := engine.New(store, engine.Options{Clock: clock.Now, ReceiptKey: receiptKey, PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	name, attrs := "durable", map[string]string(nil)
	if fifo {
		name, attrs = "durable.fifo", map[string]string{queues.AttrFifoQueue: "true", queues.AttrContentBasedDeduplication: "true"}
	}
	r := mustCreate(t, e, name, attrs)
	send := func(body string, i int) error {
		in := engine.SendInput{Body: body}
		if fifo {
			in.MessageGroupID = new(fmt.Sprintf("g%d", i%8))
		}
		_, err := e.SendMessage(ctx, r, in)
		return err
	}
	for i := range 100 {
		if err := send(fmt.Sprintf("pre-%d", i), i); err != nil {
			t.Fatal(err)
		}
	}

	var (
		mu      sync.Mutex
		sent    = map[string]bool{}
		deleted = map[string]bool{}
		stop    atomic.Bool
		wg      sync.WaitGroup
	)
	zero := 0
	for w := range 2 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				body := fmt.Sprintf("s%d-%d", w, i)
				if err := send(body, i); err != nil {
					t.Errorf("send: %v", err)
					return
				}
				mu.Lock()
				sent[body] = true
				mu.Unlock()
			}
		}()
		go func() {
			defer wg.Done()
			for !stop.Load() {
				msgs, err := e.ReceiveMessage(ctx, r, engine.ReceiveInput{MaxNumberOfMessages: 5, WaitTimeSeconds: &zero})
				if err != nil {
					t.Errorf("receive: %v", err)
					return
				}
				for _, m := range msgs {
					if err := e.DeleteMessage(ctx, r, m.ReceiptHandle); err != nil {
						t.Errorf("delete: %v", err)
						return
					}
					mu.Lock()
					deleted[m.Body] = true
					mu.Unlock()
				}
			}
		}()
	}

	deadline := time.After(30 * time.Second)
	for {
		mu.Lock()
		ns, nd := len(sent), len(deleted)
		mu.Unlock()
		if ns >= 300 && nd >= 150 {
			break
		}
		select {
		case <-deadline:
			stop.Store(true)
			wg.Wait()
			t.Fatalf("only %d sends and %d deletes acknowledged in 30 s", ns, nd)
		case <-time.After(time.Millisecond):
		}
	}
	// The ledger copied before the clone holds only calls answered before
	// the crash instant; the clients keep going through it.
	mu.Lock()
	wantSent, wantDeleted := maps.Clone(sent), maps.Clone(deleted)
	mu.Unlock()
	crashed := mem.CrashClone(vfs.CrashCloneCfg{})
	stop.Store(true)
	wg.Wait()
	if err := errors.Join(e.Close(), store.Close()); err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		wantSent[fmt.Sprintf("pre-%d", i)] = true
	}

	store, err = local.Open("/kv", local.Options{FS: crashed})
	if err != nil {
		t.Fatalf("reopen after power loss: %v", err)
	}
	defer store.Close()
	// Past the visibility timeout, so messages whose claim survived are
	// visible again.
	clock.Advance(time.Hour)
	e, err = engine.New(store, engine.Options{Clock: clock.Now, ReceiptKey: receiptKey, PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close() // before the store: deferred calls run last first
	present := map[string]bool{}
	for empty := 0; empty < 3; {
		msgs, err := e.ReceiveMessage(ctx, r, engine.ReceiveInput{MaxNumberOfMessages: 10, WaitTimeSeconds: &zero})
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 0 {
			empty++
		}
		for _, m := range msgs {
			if present[m.Body] {
				t.Fatalf("%s received twice within its visibility timeout", m.Body)
			}
			present[m.Body] = true
			// Deleted, so a FIFO group's next message comes out.
			if err := e.DeleteMessage(ctx, r, m.ReceiptHandle); err != nil {
				t.Fatal(err)
			}
		}
		if len(present) > len(wantSent)+10_000 {
			t.Fatal("receive never runs dry")
		}
	}
	lost, undeleted := 0, 0
	for body := range wantSent {
		if !present[body] && !deleted[body] {
			lost++
			t.Errorf("acknowledged send %s lost", body)
		}
	}
	for body := range wantDeleted {
		if present[body] {
			undeleted++
			if fifo {
				t.Errorf("acknowledged delete of %s undone", body)
			}
		}
	}
	t.Logf("acknowledged at the crash: %d sends (with 100 preloaded), %d deletes; %d messages left after reopening; %d lost, %d undeleted",
		len(wantSent), len(wantDeleted), len(present), lost, undeleted)
}
