package kvtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/internal/kv"
)

// Run is the conformance suite every kv driver must pass. open returns a
// fresh, empty store.
func Run(t *testing.T, open func(tb testing.TB) kv.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s kv.Store)
	}{
		{"ReadYourWrites", testReadYourWrites},
		{"MissingKey", testMissingKey},
		{"InvalidInput", testInvalidInput},
		{"BatchGet", testBatchGet},
		{"BatchGetOwnWrites", testBatchGetOwnWrites},
		{"SnapshotReads", testSnapshotReads},
		{"ScanBounds", testScanBounds},
		{"ScanSeesOwnWrites", testScanSeesOwnWrites},
		{"FailedUpdateLeavesNothing", testFailedUpdateLeavesNothing},
		{"ConflictIsRetried", testConflictIsRetried},
		{"ConcurrentIncrements", testConcurrentIncrements},
		{"LockSkipValues", testLockSkipValues},
		{"LockSkipClaimsExactlyOnce", testLockSkipClaimsExactlyOnce},
		{"CancelledContext", testCancelledContext},
		{"LargeValue", testLargeValue},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

func k(s string) []byte { return []byte(s) }

func mustUpdate(t *testing.T, s kv.Store, fn func(tx kv.Txn) error) {
	t.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		t.Fatalf("update: %v", err)
	}
}

func mustGet(t *testing.T, s kv.Store, key string) string {
	t.Helper()
	var v []byte
	err := s.View(context.Background(), func(r kv.Reader) error {
		var err error
		v, err = r.Get(context.Background(), k(key))
		return err
	})
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	return string(v)
}

func assertMissing(t *testing.T, s kv.Store, key string) {
	t.Helper()
	err := s.View(context.Background(), func(r kv.Reader) error {
		_, err := r.Get(context.Background(), k(key))
		return err
	})
	if !errors.Is(err, kv.ErrNotFound) {
		t.Fatalf("get %s: want ErrNotFound, got %v", key, err)
	}
}

func setAll(t *testing.T, s kv.Store, keys ...string) {
	t.Helper()
	mustUpdate(t, s, func(tx kv.Txn) error {
		for _, key := range keys {
			if err := tx.Set(k(key), k("v-"+key)); err != nil {
				return err
			}
		}
		return nil
	})
}

func keysOf(kvs []kv.KV) []string {
	out := make([]string, len(kvs))
	for i, p := range kvs {
		out[i] = string(p.Key)
	}
	return out
}

func testReadYourWrites(t *testing.T, s kv.Store) {
	ctx := context.Background()
	setAll(t, s, "gone")
	mustUpdate(t, s, func(tx kv.Txn) error {
		if err := tx.Set(k("a"), k("1")); err != nil {
			return err
		}
		if v, err := tx.Get(ctx, k("a")); err != nil || string(v) != "1" {
			return fmt.Errorf("own write: got %q, %v", v, err)
		}
		if err := tx.Set(k("a"), k("2")); err != nil {
			return err
		}
		if v, err := tx.Get(ctx, k("a")); err != nil || string(v) != "2" {
			return fmt.Errorf("own overwrite: got %q, %v", v, err)
		}
		if err := tx.Delete(k("gone")); err != nil {
			return err
		}
		if _, err := tx.Get(ctx, k("gone")); !errors.Is(err, kv.ErrNotFound) {
			return fmt.Errorf("own delete: want ErrNotFound, got %v", err)
		}
		return nil
	})
	if got := mustGet(t, s, "a"); got != "2" {
		t.Fatalf("after commit: a = %q, want 2", got)
	}
	assertMissing(t, s, "gone")
}

func testMissingKey(t *testing.T, s kv.Store) {
	assertMissing(t, s, "nope")
	mustUpdate(t, s, func(tx kv.Txn) error { return tx.Delete(k("never-existed")) })
	assertMissing(t, s, "never-existed")
}

func testInvalidInput(t *testing.T, s kv.Store) {
	ctx := context.Background()
	err := s.Update(ctx, func(tx kv.Txn) error { return tx.Set(k("x"), nil) })
	if !errors.Is(err, kv.ErrEmptyValue) {
		t.Fatalf("empty value: want ErrEmptyValue, got %v", err)
	}
	err = s.Update(ctx, func(tx kv.Txn) error { return tx.Set(nil, k("v")) })
	if !errors.Is(err, kv.ErrEmptyKey) {
		t.Fatalf("empty key: want ErrEmptyKey, got %v", err)
	}
	err = s.View(ctx, func(r kv.Reader) error { _, err := r.Get(ctx, nil); return err })
	if !errors.Is(err, kv.ErrEmptyKey) {
		t.Fatalf("get empty key: want ErrEmptyKey, got %v", err)
	}
	assertMissing(t, s, "x")
}

func testBatchGet(t *testing.T, s kv.Store) {
	ctx := context.Background()
	setAll(t, s, "b1", "b2", "b3")
	check := func(r kv.Reader) error {
		m, err := r.BatchGet(ctx, [][]byte{k("b1"), k("missing"), k("b3")})
		if err != nil {
			return err
		}
		if len(m) != 2 || string(m["b1"]) != "v-b1" || string(m["b3"]) != "v-b3" {
			return fmt.Errorf("batch get: got %q", m)
		}
		return nil
	}
	if err := s.View(ctx, check); err != nil {
		t.Fatal(err)
	}
	mustUpdate(t, s, func(tx kv.Txn) error { return check(tx) })
}

// testBatchGetOwnWrites: a transaction's BatchGet sees its own writes and
// deletes, whatever the order of the keys, and a key asked twice.
func testBatchGetOwnWrites(t *testing.T, s kv.Store) {
	ctx := context.Background()
	setAll(t, s, "g1", "g2", "g3", "g4")
	mustUpdate(t, s, func(tx kv.Txn) error {
		if err := tx.Set(k("g2"), k("mine")); err != nil {
			return err
		}
		if err := tx.Delete(k("g3")); err != nil {
			return err
		}
		if err := tx.Set(k("g5"), k("new")); err != nil {
			return err
		}
		m, err := tx.BatchGet(ctx, [][]byte{k("g5"), k("g4"), k("g3"), k("missing"), k("g1"), k("g2"), k("g4")})
		if err != nil {
			return err
		}
		want := map[string][]byte{"g1": k("v-g1"), "g2": k("mine"), "g4": k("v-g4"), "g5": k("new")}
		if !maps.EqualFunc(m, want, bytes.Equal) {
			return fmt.Errorf("batch get: got %q, want %q", m, want)
		}
		return nil
	})
}

func testSnapshotReads(t *testing.T, s kv.Store) {
	ctx := context.Background()
	setAll(t, s, "s1", "s2")
	err := s.View(ctx, func(r kv.Reader) error {
		if v, err := r.Get(ctx, k("s1")); err != nil || string(v) != "v-s1" {
			return fmt.Errorf("first read: %q, %v", v, err)
		}
		// A commit while the snapshot is open must stay invisible to it.
		if err := s.Update(ctx, func(tx kv.Txn) error {
			if err := tx.Set(k("s1"), k("changed")); err != nil {
				return err
			}
			if err := tx.Delete(k("s2")); err != nil {
				return err
			}
			return tx.Set(k("s3"), k("new"))
		}); err != nil {
			return err
		}
		if v, err := r.Get(ctx, k("s1")); err != nil || string(v) != "v-s1" {
			return fmt.Errorf("snapshot read after concurrent commit: %q, %v", v, err)
		}
		got, err := r.Scan(ctx, k("s"), k("t"), 0)
		if err != nil {
			return err
		}
		if want := []string{"s1", "s2"}; !slices.Equal(keysOf(got), want) {
			return fmt.Errorf("snapshot scan: got %v, want %v", keysOf(got), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, s, "s1"); got != "changed" {
		t.Fatalf("new snapshot: s1 = %q", got)
	}
}

func testScanBounds(t *testing.T, s kv.Store) {
	ctx := context.Background()
	var all []string
	for c := 'a'; c <= 'z'; c++ {
		all = append(all, string(c))
	}
	setAll(t, s, all...)
	cases := []struct {
		name       string
		start, end string
		limit      int
		reverse    bool
		want       []string
	}{
		{"forward bounded", "b", "e", 0, false, []string{"b", "c", "d"}},
		{"forward limited", "b", "e", 2, false, []string{"b", "c"}},
		{"forward open end", "x", "", 0, false, []string{"x", "y", "z"}},
		{"forward open start", "", "c", 0, false, []string{"a", "b"}},
		{"forward start between keys", "b0", "d", 0, false, []string{"c"}},
		{"forward empty range", "e", "e", 0, false, nil},
		{"reverse bounded", "b", "e", 0, true, []string{"d", "c", "b"}},
		{"reverse limited", "b", "e", 2, true, []string{"d", "c"}},
		{"reverse open end", "x", "", 2, true, []string{"z", "y"}},
		{"reverse open start", "", "c", 0, true, []string{"b", "a"}},
		{"reverse end between keys", "a", "c0", 1, true, []string{"c"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var start, end []byte
			if tc.start != "" {
				start = k(tc.start)
			}
			if tc.end != "" {
				end = k(tc.end)
			}
			scan := func(r kv.Reader) ([]kv.KV, error) {
				if tc.reverse {
					return r.ReverseScan(ctx, start, end, tc.limit)
				}
				return r.Scan(ctx, start, end, tc.limit)
			}
			var viewGot, txnGot []kv.KV
			if err := s.View(ctx, func(r kv.Reader) (err error) { viewGot, err = scan(r); return err }); err != nil {
				t.Fatal(err)
			}
			mustUpdate(t, s, func(tx kv.Txn) (err error) { txnGot, err = scan(tx); return err })
			for _, got := range [][]kv.KV{viewGot, txnGot} {
				if !slices.Equal(keysOf(got), tc.want) {
					t.Fatalf("got %v, want %v", keysOf(got), tc.want)
				}
				for _, p := range got {
					if string(p.Value) != "v-"+string(p.Key) {
						t.Fatalf("value of %s: %q", p.Key, p.Value)
					}
				}
			}
		})
	}
}

func testScanSeesOwnWrites(t *testing.T, s kv.Store) {
	ctx := context.Background()
	setAll(t, s, "b", "c", "d")
	mustUpdate(t, s, func(tx kv.Txn) error {
		if err := tx.Set(k("c2"), k("v-c2")); err != nil {
			return err
		}
		if err := tx.Delete(k("d")); err != nil {
			return err
		}
		fwd, err := tx.Scan(ctx, k("a"), k("z"), 0)
		if err != nil {
			return err
		}
		if want := []string{"b", "c", "c2"}; !slices.Equal(keysOf(fwd), want) {
			return fmt.Errorf("scan: got %v, want %v", keysOf(fwd), want)
		}
		rev, err := tx.ReverseScan(ctx, k("a"), k("z"), 2)
		if err != nil {
			return err
		}
		if want := []string{"c2", "c"}; !slices.Equal(keysOf(rev), want) {
			return fmt.Errorf("reverse scan: got %v, want %v", keysOf(rev), want)
		}
		return nil
	})
}

func testFailedUpdateLeavesNothing(t *testing.T, s kv.Store) {
	boom := errors.New("boom")
	setAll(t, s, "kept")
	attempts := 0
	err := s.Update(context.Background(), func(tx kv.Txn) error {
		attempts++
		if err := tx.Set(k("f1"), k("x")); err != nil {
			return err
		}
		if err := tx.Delete(k("kept")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("want boom, got %v", err)
	}
	if attempts != 1 {
		t.Fatalf("a failing function ran %d times, want 1", attempts)
	}
	assertMissing(t, s, "f1")
	if got := mustGet(t, s, "kept"); got != "v-kept" {
		t.Fatalf("kept = %q", got)
	}
}

// testConflictIsRetried interleaves two read-modify-write transactions on
// one key. On an optimistic store the first commit conflicts and must be
// retried; on a serialised store the second simply waits. Either way no
// increment may be lost.
func testConflictIsRetried(t *testing.T, s kv.Store) {
	ctx := context.Background()
	mustUpdate(t, s, func(tx kv.Txn) error { return tx.Set(k("n"), k("0")) })
	increment := func(tx kv.Txn) error {
		v, err := tx.Get(ctx, k("n"))
		if err != nil {
			return err
		}
		return tx.Set(k("n"), fmt.Appendf(nil, "%d", atoi(v)+1))
	}
	var (
		attempts int
		other    = make(chan error, 1)
	)
	err := s.Update(ctx, func(tx kv.Txn) error {
		attempts++
		if err := increment(tx); err != nil {
			return err
		}
		if attempts == 1 {
			go func() { other <- s.Update(ctx, increment) }()
			select {
			case err := <-other:
				other <- err
			case <-time.After(300 * time.Millisecond):
				// A serialised store: the other writer waits for us.
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-other; err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, s, "n"); got != "2" {
		t.Fatalf("n = %s after two increments (attempts %d)", got, attempts)
	}
}

func atoi(b []byte) int {
	n := 0
	for _, c := range b {
		n = n*10 + int(c-'0')
	}
	return n
}

func testConcurrentIncrements(t *testing.T, s kv.Store) {
	ctx := context.Background()
	const workers, each = 8, 25
	mustUpdate(t, s, func(tx kv.Txn) error { return tx.Set(k("ctr"), k("0")) })
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for range each {
				err := s.Update(ctx, func(tx kv.Txn) error {
					v, err := tx.Get(ctx, k("ctr"))
					if err != nil {
						return err
					}
					return tx.Set(k("ctr"), fmt.Appendf(nil, "%d", atoi(v)+1))
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := mustGet(t, s, "ctr"); got != fmt.Sprint(workers*each) {
		t.Fatalf("ctr = %s, want %d", got, workers*each)
	}
}

func testLockSkipValues(t *testing.T, s kv.Store) {
	ctx := context.Background()
	setAll(t, s, "l1", "l2", "l3", "l4")
	mustUpdate(t, s, func(tx kv.Txn) error {
		if err := tx.Set(k("l2"), k("mine")); err != nil {
			return err
		}
		if err := tx.Delete(k("l3")); err != nil {
			return err
		}
		got, err := tx.LockSkip(ctx, [][]byte{k("l4"), k("missing"), k("l1"), k("l2"), k("l3")})
		if err != nil {
			return err
		}
		want := []kv.KV{{Key: k("l4"), Value: k("v-l4")}, {Key: k("l1"), Value: k("v-l1")}, {Key: k("l2"), Value: k("mine")}}
		if !slices.EqualFunc(got, want, func(a, b kv.KV) bool {
			return bytes.Equal(a.Key, b.Key) && bytes.Equal(a.Value, b.Value)
		}) {
			return fmt.Errorf("lock skip: got %q, want %q", got, want)
		}
		return nil
	})
}

// LockSkipClaimsExactlyOnce is the suite's claim test, exported for stores
// the suite does not open (such as a mock split into many regions).
func LockSkipClaimsExactlyOnce(t *testing.T, s kv.Store) { testLockSkipClaimsExactlyOnce(t, s) }

// testLockSkipClaimsExactlyOnce runs the queue's claim pattern: concurrent
// claimers scan ready keys, lock what they can without waiting, and move
// each locked key to a claimed record. Every key must be claimed by exactly
// one committed transaction.
func testLockSkipClaimsExactlyOnce(t *testing.T, s kv.Store) {
	ctx := context.Background()
	const keys, claimers, batch = 200, 8, 10
	mustUpdate(t, s, func(tx kv.Txn) error {
		for i := range keys {
			if err := tx.Set(fmt.Appendf(nil, "ready/%04d", i), k("1")); err != nil {
				return err
			}
		}
		return nil
	})
	var (
		mu      sync.Mutex
		claimed = map[string]int{}
		skips   atomic.Int64
		wg      sync.WaitGroup
	)
	errs := make(chan error, claimers)
	for c := range claimers {
		wg.Go(func() {
			for {
				var mine []string
				err := s.Update(ctx, func(tx kv.Txn) error {
					mine = mine[:0]
					ready, err := tx.Scan(ctx, k("ready/"), k("ready0"), batch)
					if err != nil || len(ready) == 0 {
						return err
					}
					cand := make([][]byte, len(ready))
					for i, p := range ready {
						cand[i] = p.Key
					}
					locked, err := tx.LockSkip(ctx, cand)
					if err != nil {
						return err
					}
					skips.Add(int64(len(cand) - len(locked)))
					for _, p := range locked {
						id := bytes.TrimPrefix(p.Key, k("ready/"))
						if err := tx.Delete(p.Key); err != nil {
							return err
						}
						if err := tx.Set(append(k("claimed/"), id...), fmt.Appendf(nil, "%d", c)); err != nil {
							return err
						}
						mine = append(mine, string(id))
					}
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				for _, id := range mine {
					claimed[id]++
				}
				done := len(claimed) == keys
				mu.Unlock()
				if done {
					return
				}
				if len(mine) == 0 {
					if remaining(t, s) == 0 {
						return
					}
					time.Sleep(time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(claimed) != keys {
		t.Fatalf("claimed %d distinct keys, want %d", len(claimed), keys)
	}
	for id, n := range claimed {
		if n != 1 {
			t.Fatalf("key %s claimed %d times", id, n)
		}
	}
	t.Logf("%d keys claimed once each by %d claimers; %d candidates skipped as locked", keys, claimers, skips.Load())
}

func remaining(t *testing.T, s kv.Store) int {
	var n int
	err := s.View(context.Background(), func(r kv.Reader) error {
		got, err := r.Scan(context.Background(), k("ready/"), k("ready0"), 0)
		n = len(got)
		return err
	})
	if err != nil {
		t.Error(err)
	}
	return n
}

func testCancelledContext(t *testing.T, s kv.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.Update(ctx, func(tx kv.Txn) error {
		if _, err := tx.Get(ctx, k("x")); err != nil && !errors.Is(err, kv.ErrNotFound) {
			return err
		}
		return tx.Set(k("x"), k("1"))
	})
	if err == nil {
		t.Fatal("update with a cancelled context succeeded")
	}
	assertMissing(t, s, "x")
}

func testLargeValue(t *testing.T, s kv.Store) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 64<<10/16*4) // 256 KiB
	mustUpdate(t, s, func(tx kv.Txn) error { return tx.Set(k("big"), big) })
	if got := mustGet(t, s, "big"); got != string(big) {
		t.Fatalf("large value: got %d bytes", len(got))
	}
}
