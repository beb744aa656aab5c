package tenants_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/tenants"
)

// Another node sees a suspension, a deactivation or a deletion once its
// cached answer is KeyCacheTTL old, and not before; the node that made
// the change sees it at once.
func TestResolveSeesChangesFromOtherNodesWithinTTL(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		const ttl = 2 * time.Second
		control := e.cat
		data := e.node(tenants.Options{KeyCacheTTL: ttl})
		mustCreateTenant(t, control, "111122223333")
		k, _ := mustCreateKey(t, control, "111122223333")
		mustResolve(t, control, k.ID)

		// waitForTTL checks that data still answers from its cache until
		// the TTL is over, then sees the store.
		waitForTTL := func(step string, stale, fresh func(tenants.Credential, error) bool) {
			t.Helper()
			e.clock.Advance(ttl - time.Millisecond)
			if cred, err := data.Resolve(ctx, k.ID); !stale(cred, err) {
				t.Fatalf("%s: before the TTL: %+v %v, want the cached answer", step, cred, err)
			}
			e.clock.Advance(time.Millisecond)
			if cred, err := data.Resolve(ctx, k.ID); !fresh(cred, err) {
				t.Fatalf("%s: after the TTL: %+v %v, want the change", step, cred, err)
			}
		}
		usable := func(c tenants.Credential, err error) bool { return err == nil && c.Usable() }

		if !mustResolve(t, data, k.ID).Usable() {
			t.Fatal("new key is not usable")
		}
		if _, err := control.SetTenantStatus(ctx, "111122223333", tenants.StatusSuspended); err != nil {
			t.Fatal(err)
		}
		if cred := mustResolve(t, control, k.ID); cred.TenantStatus != tenants.StatusSuspended {
			t.Fatalf("the changing node resolves %+v, want suspended at once", cred)
		}
		waitForTTL("suspend", usable, func(c tenants.Credential, err error) bool {
			return err == nil && c.TenantStatus == tenants.StatusSuspended && !c.Usable()
		})

		if _, err := control.SetTenantStatus(ctx, "111122223333", tenants.StatusActive); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(ttl)
		mustResolve(t, data, k.ID)
		if _, err := control.SetAccessKeyStatus(ctx, "111122223333", k.ID, tenants.KeyInactive); err != nil {
			t.Fatal(err)
		}
		if mustResolve(t, control, k.ID).KeyStatus != tenants.KeyInactive {
			t.Fatal("the changing node still resolves the key as active")
		}
		waitForTTL("deactivate", usable, func(c tenants.Credential, err error) bool {
			return err == nil && c.KeyStatus == tenants.KeyInactive && !c.Usable()
		})

		if err := control.DeleteAccessKey(ctx, "111122223333", k.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := control.Resolve(ctx, k.ID); !errors.Is(err, tenants.ErrAccessKeyNotFound) {
			t.Fatalf("the changing node resolves a deleted key: %v", err)
		}
		waitForTTL("delete", func(c tenants.Credential, err error) bool { return err == nil }, func(_ tenants.Credential, err error) bool {
			return errors.Is(err, tenants.ErrAccessKeyNotFound)
		})
	})
}

func TestResolveReadsTheStoreOncePerTTL(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		mustCreateTenant(t, e.cat, "111122223333")
		k, _ := mustCreateKey(t, e.cat, "111122223333")
		counted := &countingStore{Store: e.store}
		data := tenants.New(counted, e.sealer, tenants.Options{Clock: e.clock.Now, KeyCacheTTL: time.Second})
		for range 100 {
			mustResolve(t, data, k.ID)
		}
		if n := counted.views.Load(); n != 1 {
			t.Fatalf("100 resolves read the store %d times, want 1", n)
		}
		e.clock.Advance(time.Second)
		mustResolve(t, data, k.ID)
		if n := counted.views.Load(); n != 2 {
			t.Fatalf("after the TTL: %d store reads, want 2", n)
		}
	})
}

// Unknown ids are cached too, so a flood of bad keys costs one read per
// id and TTL; an id imported meanwhile is found once the TTL is over.
func TestResolveCachesUnknownIDs(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		mustCreateTenant(t, e.cat, "111122223333")
		counted := &countingStore{Store: e.store}
		data := tenants.New(counted, e.sealer, tenants.Options{Clock: e.clock.Now, KeyCacheTTL: time.Second})
		for range 50 {
			if _, err := data.Resolve(ctx, "DEVKEY0000000001"); !errors.Is(err, tenants.ErrAccessKeyNotFound) {
				t.Fatalf("unknown id: %v, want ErrAccessKeyNotFound", err)
			}
		}
		if n := counted.views.Load(); n != 1 {
			t.Fatalf("50 resolves of an unknown id read the store %d times, want 1", n)
		}
		if _, err := e.cat.ImportAccessKey(ctx, "111122223333", "DEVKEY0000000001", "devsecret0000001"); err != nil {
			t.Fatal(err)
		}
		if _, err := data.Resolve(ctx, "DEVKEY0000000001"); !errors.Is(err, tenants.ErrAccessKeyNotFound) {
			t.Fatalf("within the TTL: %v, want the cached miss", err)
		}
		e.clock.Advance(time.Second)
		if cred := mustResolve(t, data, "DEVKEY0000000001"); cred.Secret != "devsecret0000001" {
			t.Fatalf("after the TTL: %+v", cred)
		}
	})
}

func TestResolveRefusesMalformedIDsWithoutLookup(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		counted := &countingStore{Store: e.store}
		data := tenants.New(counted, e.sealer, tenants.Options{Clock: e.clock.Now})
		for _, id := range []string{"", "SLK", "slkaaaaaaaaaaaaaaaaa", "SLKAAAAAAAA/AAAAAAAA", "SLKAAAAAAAAAAAAAAAA\x00"} {
			if _, err := data.Resolve(ctx, id); !errors.Is(err, tenants.ErrAccessKeyNotFound) {
				t.Fatalf("resolve %q: %v, want ErrAccessKeyNotFound", id, err)
			}
		}
		if n, cached := counted.views.Load(), data.CachedKeys(); n != 0 || cached != 0 {
			t.Fatalf("malformed ids: %d store reads, %d cached, want none", n, cached)
		}
	})
}

func TestResolveCacheIsBounded(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		const size = 16
		mustCreateTenant(t, e.cat, "111122223333")
		k, secret := mustCreateKey(t, e.cat, "111122223333")
		data := e.node(tenants.Options{KeyCacheSize: size})
		for i := range 200 {
			if i%50 == 0 {
				if cred := mustResolve(t, data, k.ID); cred.Secret != secret {
					t.Fatalf("resolved %+v", cred)
				}
			}
			if _, err := data.Resolve(ctx, fmt.Sprintf("BADKEY%010d", i)); !errors.Is(err, tenants.ErrAccessKeyNotFound) {
				t.Fatal(err)
			}
			if n := data.CachedKeys(); n > size {
				t.Fatalf("after %d ids the cache holds %d, want at most %d", i+1, n, size)
			}
			e.clock.Advance(100 * time.Millisecond) // some entries expire on the way
		}
		// Sweeps of expired entries may leave it short of full, never empty.
		if n := data.CachedKeys(); n < size/2 {
			t.Fatalf("cache holds %d, want about %d", n, size)
		}
	})
}

func TestResolveWithCacheOffReadsTheStoreEachTime(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		mustCreateTenant(t, e.cat, "111122223333")
		k, _ := mustCreateKey(t, e.cat, "111122223333")
		counted := &countingStore{Store: e.store}
		data := tenants.New(counted, e.sealer, tenants.Options{Clock: e.clock.Now, KeyCacheTTL: -1})
		for range 3 {
			mustResolve(t, data, k.ID)
		}
		if n, cached := counted.views.Load(), data.CachedKeys(); n != 3 || cached != 0 {
			t.Fatalf("%d store reads, %d cached, want 3 and 0", n, cached)
		}
	})
}

// Resolves racing status changes on the same node never keep a stale
// answer once the change has returned (run with -race as well).
func TestResolveRacingChangesEndsFresh(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		mustCreateTenant(t, e.cat, "111122223333")
		k, _ := mustCreateKey(t, e.cat, "111122223333")
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for range 4 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					if _, err := e.cat.Resolve(ctx, k.ID); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		for i := range 20 {
			status := []tenants.Status{tenants.StatusSuspended, tenants.StatusActive}[i%2]
			if _, err := e.cat.SetTenantStatus(ctx, "111122223333", status); err != nil {
				t.Fatal(err)
			}
			if got := mustResolve(t, e.cat, k.ID).TenantStatus; got != status {
				t.Fatalf("change %d: resolved %s right after setting %s", i, got, status)
			}
		}
		close(stop)
		wg.Wait()
	})
}
