package local_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"

	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/local"
)

// powerLoss is one run of concurrent writers on a crashable in-memory file
// system, cut off by a simulated power loss: the clone keeps only what was
// fsynced (plus, with unsyncedPercent > 0, random unsynced 4 KiB blocks and
// directory entries). SIGKILL cannot test this, because the page cache
// outlives the process.
type powerLoss struct {
	mode            local.SyncMode
	unsyncedPercent int
	seed            uint64
	acks            int // acknowledged sends to wait for before the crash
}

// Keys: a sent transaction sets s/<id> and t/<id>; a delete transaction
// removes d/<n> and e/<n> (written by the durable preload); a lazy one sets
// l/<id> and m/<id>. Every transaction touches two keys, so a torn one
// shows as a key without its partner.
const preload = 2000

// ledger is what the writers were told, as of the moment of the crash.
type ledger struct {
	sent, deleted map[string]bool // acknowledged Update calls
	lazy          []string        // UpdateLazy calls, in the order they returned
	lazyCovered   int             // lazy[:lazyCovered] returned before an acknowledged Update began
	claimed       int             // preloaded pairs from here on were never touched before the crash
}

func (p powerLoss) run(t *testing.T) []string {
	t.Helper()
	ctx := context.Background()
	mem := vfs.NewCrashableMem()
	s, err := local.Open("/kv", local.Options{Sync: p.mode, FS: mem})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(ctx, func(tx kv.Txn) error {
		for n := range preload {
			if err := tx.Set(fmt.Appendf(nil, "d/%05d", n), []byte("x")); err != nil {
				return err
			}
			if err := tx.Set(fmt.Appendf(nil, "e/%05d", n), []byte("x")); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	var (
		mu      sync.Mutex
		l       = ledger{sent: map[string]bool{}, deleted: map[string]bool{}}
		nextDel atomic.Int64
		stop    atomic.Bool
		wg      sync.WaitGroup
	)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				id := fmt.Sprintf("%d-%07d", w, i)
				// Whatever lazy commit returned before this Update began,
				// its sync must cover (one ordered WAL).
				mu.Lock()
				lazyBefore := len(l.lazy)
				mu.Unlock()
				var err error
				switch i % 3 {
				case 0, 1:
					err = s.Update(ctx, func(tx kv.Txn) error {
						if err := tx.Set([]byte("s/"+id), []byte(id)); err != nil {
							return err
						}
						return tx.Set([]byte("t/"+id), []byte(id))
					})
					if err == nil {
						mu.Lock()
						l.sent[id] = true
						l.lazyCovered = max(l.lazyCovered, lazyBefore)
						mu.Unlock()
					}
				case 2:
					n := nextDel.Add(1) - 1
					if n >= preload {
						continue
					}
					key := fmt.Sprintf("%05d", n)
					err = s.Update(ctx, func(tx kv.Txn) error {
						if err := tx.Delete([]byte("d/" + key)); err != nil {
							return err
						}
						return tx.Delete([]byte("e/" + key))
					})
					if err == nil {
						mu.Lock()
						l.deleted[key] = true
						l.lazyCovered = max(l.lazyCovered, lazyBefore)
						mu.Unlock()
					}
				}
				if err != nil {
					if !errors.Is(err, local.ErrClosed) {
						t.Error(err)
					}
					return
				}
				// The engine's receive claim: visible at once, durable
				// only with the next synced commit.
				err = kv.UpdateLazy(ctx, s, func(tx kv.Txn) error {
					if err := tx.Set([]byte("l/"+id), []byte(id)); err != nil {
						return err
					}
					return tx.Set([]byte("m/"+id), []byte(id))
				})
				if err != nil {
					if !errors.Is(err, local.ErrClosed) {
						t.Error(err)
					}
					return
				}
				mu.Lock()
				l.lazy = append(l.lazy, id)
				mu.Unlock()
			}
		}()
	}

	deadline := time.After(30 * time.Second)
	for {
		mu.Lock()
		n := len(l.sent)
		mu.Unlock()
		if n >= p.acks {
			break
		}
		select {
		case <-deadline:
			stop.Store(true)
			wg.Wait()
			t.Fatalf("only %d sends acknowledged in 30 s", n)
		case <-time.After(time.Millisecond):
		}
	}
	// Copy the ledger before cloning: everything in it was acknowledged
	// before the crash instant. Writers keep going through the clone, so
	// it also catches commits in flight.
	mu.Lock()
	at := ledger{sent: maps.Clone(l.sent), deleted: maps.Clone(l.deleted), lazy: append([]string(nil), l.lazy...), lazyCovered: l.lazyCovered}
	mu.Unlock()
	crashed := mem.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: p.unsyncedPercent, RNG: rand.New(rand.NewPCG(p.seed, p.seed))})
	at.claimed = int(nextDel.Load())
	stop.Store(true)
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = local.Open("/kv", local.Options{FS: crashed})
	if err != nil {
		t.Fatalf("reopen after power loss: %v", err)
	}
	defer s.Close()
	var problems []string
	err = s.View(ctx, func(r kv.Reader) error {
		keys := map[string]map[string]bool{}
		for _, prefix := range []string{"s", "t", "d", "e", "l", "m"} {
			kvs, err := r.Scan(ctx, []byte(prefix+"/"), []byte(prefix+"0"), 0)
			if err != nil {
				return err
			}
			keys[prefix] = map[string]bool{}
			for _, p := range kvs {
				keys[prefix][string(p.Key[2:])] = true
			}
		}
		problems = check(at, keys)
		t.Logf("acknowledged at the crash: %d sends, %d deletes, %d lazy (%d covered by a later sync); present after: %d sends, %d lazy, %d of %d preloaded pairs",
			len(at.sent), len(at.deleted), len(at.lazy), at.lazyCovered, len(keys["s"]), len(keys["l"]), len(keys["d"]), preload)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return problems
}

// check lists every broken promise: an acknowledged commit lost, a lazy
// commit lost although a later synced commit covered it, or a torn
// transaction.
func check(at ledger, keys map[string]map[string]bool) []string {
	var problems []string
	add := func(format string, args ...any) {
		if len(problems) < 10 {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	for _, pair := range [][2]string{{"s", "t"}, {"d", "e"}, {"l", "m"}} {
		for k := range keys[pair[0]] {
			if !keys[pair[1]][k] {
				add("torn transaction: %s/%s without %s/%s", pair[0], k, pair[1], k)
			}
		}
		for k := range keys[pair[1]] {
			if !keys[pair[0]][k] {
				add("torn transaction: %s/%s without %s/%s", pair[1], k, pair[0], k)
			}
		}
	}
	for id := range at.sent {
		if !keys["s"][id] {
			add("acknowledged send %s lost", id)
		}
	}
	for n := range preload {
		key := fmt.Sprintf("%05d", n)
		if at.deleted[key] && keys["d"][key] {
			add("acknowledged delete %s undone", key)
		}
	}
	// The preload was acknowledged before any writer started.
	for n := at.claimed; n < preload; n++ {
		if key := fmt.Sprintf("%05d", n); !keys["d"][key] {
			add("acknowledged preload %s lost", key)
		}
	}
	for _, id := range at.lazy[:at.lazyCovered] {
		if !keys["l"][id] {
			add("lazy commit %s lost although a later synced commit was acknowledged", id)
		}
	}
	return problems
}

// Every acknowledged Update survives a power loss; a lazy commit survives
// once a later synced commit is acknowledged; no transaction is torn.
func TestPowerLossLosesNoAcknowledgedCommit(t *testing.T) {
	for _, mode := range []local.SyncMode{local.SyncApplyNoWait, local.SyncLogData} {
		// 0: exactly the synced state; 50 and 90: also random unsynced
		// blocks, as a disk may have written some of them.
		for _, unsynced := range []int{0, 50, 90} {
			// Crash points at several depths of the stream; a commit
			// acknowledged before its fsync ends was caught in most runs
			// of three, so several rounds make that a near certainty.
			for round := range 3 {
				p := powerLoss{mode: mode, unsyncedPercent: unsynced, seed: uint64(100*unsynced + round), acks: 200 + 300*round}
				t.Run(fmt.Sprintf("mode%d-unsynced%d-%d", mode, unsynced, round), func(t *testing.T) {
					for _, problem := range p.run(t) {
						t.Error(problem)
					}
				})
			}
		}
	}
}

// The power-loss test has teeth: with SyncNone, acknowledged commits are
// lost, and the same check reports it.
func TestPowerLossCatchesAMissingFsync(t *testing.T) {
	problems := powerLoss{mode: local.SyncNone, acks: 300}.run(t)
	if len(problems) == 0 {
		t.Fatal("SyncNone lost nothing in a power loss: the test cannot see a missing fsync")
	}
	t.Logf("SyncNone, as expected: %q", problems[0])
}

// A commit whose WAL sync fails is not acknowledged.
func TestFailedSyncIsNotAcknowledged(t *testing.T) {
	var failing atomic.Bool
	injected := errors.New("injected sync failure")
	fs := errorfs.Wrap(vfs.NewMem(), errorfs.InjectorFunc(func(op errorfs.Op) error {
		syncOp := op.Kind == errorfs.OpFileSync || op.Kind == errorfs.OpFileSyncData || op.Kind == errorfs.OpFileSyncTo
		if failing.Load() && syncOp && strings.HasSuffix(op.Path, ".log") {
			return injected
		}
		return nil
	}))
	s, err := local.Open("/kv", local.Options{FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	set := func(tx kv.Txn) error { return tx.Set([]byte("k"), []byte("v")) }
	if err := s.Update(ctx, set); err != nil {
		t.Fatal(err)
	}
	failing.Store(true)
	done := make(chan error, 1)
	go func() { done <- s.Update(ctx, set) }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Update acknowledged a commit whose WAL sync failed")
		}
		t.Logf("Update after a failed sync: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("Update hung after a failed sync")
	}
}
