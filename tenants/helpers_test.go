package tenants_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
	"github.com/sluice-mq/sluice/tenants"
	"github.com/sluice-mq/sluice/tenants/seal"
)

var ctx = context.Background()

// fakeClock is a clock tests move by hand.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// countingStore counts the transactions run on a store, to tell cache hits
// from store reads.
type countingStore struct {
	kv.Store
	views, updates atomic.Int64
}

func (s *countingStore) View(ctx context.Context, fn func(r kv.Reader) error) error {
	s.views.Add(1)
	return s.Store.View(ctx, fn)
}

func (s *countingStore) Update(ctx context.Context, fn func(tx kv.Txn) error) error {
	s.updates.Add(1)
	return s.Store.Update(ctx, fn)
}

func newSealer(t testing.TB) *seal.Sealer {
	t.Helper()
	s, err := seal.New(seal.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// env is one test's store, clock and catalog.
type env struct {
	store  kv.Store
	clock  *fakeClock
	sealer *seal.Sealer
	cat    *tenants.Catalog
}

// node returns another Catalog on the same store, sealer and clock, as
// another server would run.
func (e *env) node(opts tenants.Options) *tenants.Catalog {
	opts.Clock = e.clock.Now
	return tenants.New(e.store, e.sealer, opts)
}

// forEachDriver runs test on both kv drivers with a fresh catalog.
func forEachDriver(t *testing.T, test func(t *testing.T, e *env)) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		e := &env{store: store, clock: newFakeClock(), sealer: newSealer(t)}
		e.cat = e.node(tenants.Options{})
		test(t, e)
	})
}

func mustCreateTenant(t testing.TB, c *tenants.Catalog, accountID string) tenants.Tenant {
	t.Helper()
	tn, err := c.CreateTenant(ctx, tenants.CreateTenantInput{AccountID: accountID})
	if err != nil {
		t.Fatalf("create tenant %q: %v", accountID, err)
	}
	return tn
}

func mustCreateKey(t testing.TB, c *tenants.Catalog, accountID string) (tenants.AccessKey, string) {
	t.Helper()
	k, secret, err := c.CreateAccessKey(ctx, accountID)
	if err != nil {
		t.Fatalf("create access key for %s: %v", accountID, err)
	}
	return k, secret
}

func mustResolve(t testing.TB, c *tenants.Catalog, id string) tenants.Credential {
	t.Helper()
	cred, err := c.Resolve(ctx, id)
	if err != nil {
		t.Fatalf("resolve %s: %v", id, err)
	}
	return cred
}

// scanAll returns every pair in the store.
func scanAll(t testing.TB, s kv.Store) []kv.KV {
	t.Helper()
	var all []kv.KV
	err := s.View(ctx, func(r kv.Reader) (err error) {
		all, err = r.Scan(ctx, nil, nil, 0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return all
}

func getRaw(t testing.TB, s kv.Store, key string) []byte {
	t.Helper()
	var v []byte
	err := s.View(ctx, func(r kv.Reader) (err error) {
		v, err = r.Get(ctx, []byte(key))
		return err
	})
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	return v
}

func setRaw(t testing.TB, s kv.Store, key string, value []byte) {
	t.Helper()
	if err := s.Update(ctx, func(tx kv.Txn) error { return tx.Set([]byte(key), value) }); err != nil {
		t.Fatalf("set %s: %v", key, err)
	}
}
