package tikv_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	clienttikv "github.com/tikv/client-go/v2/tikv"
	"github.com/tikv/client-go/v2/tikvrpc"

	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
	"github.com/sluice-mq/sluice/internal/kv/tikv"
)

// rollbackGate holds client-go's pessimistic rollbacks on their way to the
// store until it opens, or delays each by up to maxDelay, so tests can make
// the asynchronous rollback of a failed lock request arrive late.
type rollbackGate struct {
	open      chan struct{}
	maxDelay  time.Duration
	mu        sync.Mutex
	delivered [][]byte // keys of rollbacks that reached the store
}

func newRollbackGate(closed bool, maxDelay time.Duration) *rollbackGate {
	g := &rollbackGate{open: make(chan struct{}), maxDelay: maxDelay}
	if closed {
		return g
	}
	close(g.open)
	return g
}

func (g *rollbackGate) wrap(c clienttikv.Client) clienttikv.Client { return gatedClient{c, g} }

// deliveredKey reports whether a rollback of key has reached the store.
func (g *rollbackGate) deliveredKey(key []byte) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.ContainsFunc(g.delivered, func(k []byte) bool { return bytes.Equal(k, key) })
}

type gatedClient struct {
	clienttikv.Client
	g *rollbackGate
}

func (c gatedClient) SendRequest(ctx context.Context, addr string, req *tikvrpc.Request, timeout time.Duration) (*tikvrpc.Response, error) {
	if req.Type != tikvrpc.CmdPessimisticRollback {
		return c.Client.SendRequest(ctx, addr, req, timeout)
	}
	select {
	case <-c.g.open:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if c.g.maxDelay > 0 {
		time.Sleep(rand.N(c.g.maxDelay))
	}
	resp, err := c.Client.SendRequest(ctx, addr, req, timeout)
	c.g.mu.Lock()
	c.g.delivered = append(c.g.delivered, req.PessimisticRollback().Keys...)
	c.g.mu.Unlock()
	return resp, err
}

// holdLock locks key in a transaction that stays open until the returned
// function is called.
func holdLock(t *testing.T, s kv.Store, key string) (release func()) {
	t.Helper()
	ctx := context.Background()
	holding, done := make(chan struct{}), make(chan struct{})
	result := make(chan error, 1)
	go func() {
		result <- s.Update(ctx, func(tx kv.Txn) error {
			got, err := tx.LockSkip(ctx, [][]byte{[]byte(key)})
			if err != nil || len(got) != 1 {
				return fmt.Errorf("holder lock %s: %q, %v", key, got, err)
			}
			close(holding)
			<-done
			return nil
		})
	}()
	select {
	case <-holding:
	case err := <-result:
		t.Fatalf("holder: %v", err)
	}
	return func() {
		close(done)
		if err := <-result; err != nil {
			t.Error(err)
		}
	}
}

func keysOf(kvs []kv.KV) []string {
	out := make([]string, len(kvs))
	for i, p := range kvs {
		out[i] = string(p.Key)
	}
	return out
}

// A claim of free keys costs one lock request, not one per key.
func TestLockSkipLocksFreeKeysInOneRequest(t *testing.T) {
	s, counts := kvtest.OpenMockTiKVCounted(t)
	ctx := context.Background()
	var keys [][]byte
	for i := range 10 {
		key := fmt.Sprintf("k%d", 9-i) // not in key order: the result keeps this one
		set(t, s, key, "v"+key)
		keys = append(keys, []byte(key))
	}
	before := counts.Snapshot()["PessimisticLock"]
	err := s.Update(ctx, func(tx kv.Txn) error {
		got, err := tx.LockSkip(ctx, keys)
		if err != nil {
			return err
		}
		for i, p := range got {
			if !bytes.Equal(p.Key, keys[i]) || string(p.Value) != "v"+string(keys[i]) {
				return fmt.Errorf("got %q, want the keys in the order given with their values", got)
			}
		}
		if len(got) != len(keys) {
			return fmt.Errorf("locked %d of %d free keys", len(got), len(keys))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := counts.Snapshot()["PessimisticLock"] - before; n != 1 {
		t.Fatalf("%d lock requests for 10 free keys in one region, want 1", n)
	}
}

// The failed all-keys request locks a in its region before z's region turns
// it down; client-go rolls a back asynchronously at that request's
// for-update timestamp. The one-key retry must keep a locked even when that
// rollback reaches the store after it: another transaction must not get a.
func TestLockSkipRetrySurvivesLateRollback(t *testing.T) {
	gate := newRollbackGate(true, 0)
	s := kvtest.OpenMockTiKVRegions(t, tikv.Options{GCInterval: -1}, gate.wrap, []byte("m"))
	ctx := context.Background()
	set(t, s, "a", "1")
	set(t, s, "z", "2")
	release := holdLock(t, s, "z")
	defer release()

	attempts := 0
	err := s.Update(ctx, func(tx kv.Txn) error {
		if attempts++; attempts > 1 {
			return errors.New("the claim ran twice")
		}
		got, err := tx.LockSkip(ctx, [][]byte{[]byte("a"), []byte("z")})
		if err != nil {
			return err
		}
		if k := keysOf(got); !slices.Equal(k, []string{"a"}) {
			return fmt.Errorf("locked %q, want a only", k)
		}
		close(gate.open)
		// A driver that never locked a in a request that failed sends no
		// rollback of it; this one does, at once.
		for deadline := time.Now().Add(2 * time.Second); !gate.deliveredKey([]byte("a")) && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		err = s.Update(ctx, func(other kv.Txn) error {
			stolen, err := other.LockSkip(ctx, [][]byte{[]byte("a")})
			if err == nil && len(stolen) > 0 {
				return fmt.Errorf("another transaction locked %q while the claim holds it", keysOf(stolen))
			}
			return err
		})
		if err != nil {
			return err
		}
		return tx.Delete([]byte("a"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := get(s, "a"); !errors.Is(err, kv.ErrNotFound) {
		t.Fatalf("a = %q, %v after the claim deleted it", v, err)
	}
}

// Locks of a transaction that rolls back, including those left by its
// failed all-keys request, are free again for the next claimer.
func TestLockSkipKeysFreeAfterRollback(t *testing.T) {
	s := kvtest.OpenMockTiKVRegions(t, tikv.Options{GCInterval: -1}, nil, []byte("c"))
	ctx := context.Background()
	keys := [][]byte{[]byte("a"), []byte("b"), []byte("c"), []byte("d")}
	for _, k := range keys {
		set(t, s, string(k), "v")
	}
	errGiveUp := errors.New("give up")
	release := holdLock(t, s, "d")
	err := s.Update(ctx, func(tx kv.Txn) error {
		got, err := tx.LockSkip(ctx, keys)
		if err != nil {
			return err
		}
		if k := keysOf(got); !slices.Equal(k, []string{"a", "b", "c"}) {
			return fmt.Errorf("locked %q, want a, b and c", k)
		}
		return errGiveUp
	})
	release()
	if !errors.Is(err, errGiveUp) {
		t.Fatal(err)
	}
	// The rollbacks are asynchronous: give them a moment.
	var got []kv.KV
	for try := 0; len(got) < len(keys) && try < 200; try++ {
		time.Sleep(5 * time.Millisecond)
		err = s.Update(ctx, func(tx kv.Txn) error {
			var err error
			got, err = tx.LockSkip(ctx, keys)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != len(keys) {
		t.Fatalf("after the rollback locked %q, want all four", keysOf(got))
	}
}

// Two claimers with overlapping key sets across regions, their rollbacks
// delayed at random, then a sweep for what both skipped: every key is
// claimed exactly once. (A claimer may skip a key only it wants: the mock
// fails a commit over a key written since the transaction began, even one
// it only locked, and the retry meets the failed attempt's locks.)
func TestLockSkipOverlappingClaims(t *testing.T) {
	gate := newRollbackGate(false, 2*time.Millisecond)
	s := kvtest.OpenMockTiKVRegions(t, tikv.Options{GCInterval: -1}, gate.wrap, []byte("k03"), []byte("k06"), []byte("k09"), []byte("k12"))
	ctx := context.Background()
	claim := func(keys [][]byte) ([]string, error) {
		var mine []string
		err := s.Update(ctx, func(tx kv.Txn) error {
			got, err := tx.LockSkip(ctx, keys)
			if err != nil {
				return err
			}
			mine = keysOf(got)
			for _, p := range got {
				if err := tx.Delete(p.Key); err != nil {
					return err
				}
			}
			return nil
		})
		return mine, err
	}
	for round := range 20 {
		var all [][]byte
		for i := range 15 {
			key := fmt.Sprintf("k%02d", i)
			set(t, s, key, fmt.Sprint(round))
			all = append(all, []byte(key))
		}
		sets := [2][][]byte{all[:10], all[5:]}
		var claimed [3][]string
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make(chan error, 2)
		for c := range 2 {
			wg.Go(func() {
				<-start
				var err error
				claimed[c], err = claim(sets[c])
				errs <- err
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		for try := 0; len(claimed[0])+len(claimed[1])+len(claimed[2]) < len(all) && try < 200; try++ {
			time.Sleep(5 * time.Millisecond) // leftover locks clear asynchronously
			more, err := claim(all)
			if err != nil {
				t.Fatal(err)
			}
			claimed[2] = append(claimed[2], more...)
		}
		times := map[string]int{}
		for _, keys := range claimed {
			for _, k := range keys {
				times[k]++
			}
		}
		for _, k := range all {
			if n := times[string(k)]; n != 1 {
				t.Fatalf("round %d: %s claimed %d times: %q", round, k, n, claimed)
			}
		}
	}
}

// The suite's claim pattern over a mock split every four keys, so that
// every claim spans regions and partial failures are common.
func TestLockSkipClaimsExactlyOnceAcrossRegions(t *testing.T) {
	var splits [][]byte
	for i := 4; i < 200; i += 4 {
		splits = append(splits, fmt.Appendf(nil, "ready/%04d", i))
	}
	gate := newRollbackGate(false, time.Millisecond)
	s := kvtest.OpenMockTiKVRegions(t, tikv.Options{GCInterval: -1}, gate.wrap, splits...)
	kvtest.LockSkipClaimsExactlyOnce(t, s)
}

func get(s kv.Store, key string) ([]byte, error) {
	var v []byte
	err := s.View(context.Background(), func(r kv.Reader) error {
		var err error
		v, err = r.Get(context.Background(), []byte(key))
		return err
	})
	return v, err
}
