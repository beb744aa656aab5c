package restapi_test

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/labstack/echo/v4"

	"github.com/sluice-mq/sluice/control-plane/jwtauth"
	"github.com/sluice-mq/sluice/control-plane/restapi"
	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
	"github.com/sluice-mq/sluice/tenants"
	"github.com/sluice-mq/sluice/tenants/seal"
)

// fakeClock is a clock tests move by hand, shared by the nodes of a
// cluster so cache expiry is deterministic.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// cluster is several control-plane nodes on one store, as `serve` runs
// them: each node has its own catalog and so its own caches.
type cluster struct {
	store  kv.Store
	sealer *seal.Sealer
	key    *jwtauth.Key
	engine *engine.Engine
	clock  *fakeClock
}

func newCluster(t *testing.T, store kv.Store) *cluster {
	t.Helper()
	sealer, err := seal.New(seal.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	key, err := jwtauth.ParseKey(jwtSecret)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(store, engine.Options{ReceiptKey: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	c := &cluster{store: store, sealer: sealer, key: key, engine: eng, clock: &fakeClock{}}
	c.clock.ns.Store(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC).UnixNano())
	return c
}

// node returns another control-plane node; its caches keep what they read
// for tenants.DefaultKeyCacheTTL of the cluster's clock.
func (c *cluster) node() (*fixture, *restapi.API) {
	api := restapi.New(tenants.New(c.store, c.sealer, tenants.Options{Clock: c.clock.Now}), c.engine.Catalog(), c.engine.Stats(), "us-east-1", c.key, c.clock.Now, nil)
	f := &fixture{e: echo.New(), key: c.key, engine: c.engine}
	api.Register(f.e)
	return f, api
}

// mint mints a token at the cluster's time, as `sluice token create` does.
func (c *cluster) mint(t *testing.T, role jwtauth.Role, tenant string) string {
	t.Helper()
	tok, err := c.key.Mint(role, tenant, time.Hour, c.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

type tokenReply struct {
	Token, ID, AccountID string
	ExpiresAt            time.Time
}

// A tenant-admin token — minted offline or by the API — is refused once
// its tenant is deleted, and stays refused after a new tenant takes the
// same account id.
func TestTokenDoesNotOutliveItsTenant(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		c := newCluster(t, store)
		f, api := c.node()
		op := c.mint(t, jwtauth.RoleOperator, "")
		f.do(t, op, "POST", "/v1/tenants", `{"accountId":"333344445555"}`, 201, nil)
		c.clock.Advance(time.Second)
		offline := c.mint(t, jwtauth.RoleTenantAdmin, "333344445555")
		var bound tokenReply
		f.do(t, op, "POST", "/v1/tenants/333344445555/tokens", `{"ttlSeconds":3600}`, 201, &bound)
		claims, err := c.key.Verify(bound.Token, c.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if claims.Role != jwtauth.RoleTenantAdmin || claims.Tenant != "333344445555" || claims.Incarnation == "" || claims.ID != bound.ID ||
			bound.AccountID != "333344445555" || !bound.ExpiresAt.Equal(c.clock.Now().Add(time.Hour)) {
			t.Fatalf("minted %+v with claims %+v", bound, claims)
		}
		for _, tok := range []string{offline, bound.Token} {
			f.do(t, tok, "GET", "/v1/tenants/333344445555/keys", "", 200, nil)
		}

		f.do(t, op, "DELETE", "/v1/tenants/333344445555", "", 202, nil)
		for _, tok := range []string{offline, bound.Token} {
			f.do(t, tok, "GET", "/v1/tenants/333344445555/keys", "", 401, nil)
		}
		if err := api.ReapDeletedTenants(ctx); err != nil {
			t.Fatal(err)
		}
		c.clock.Advance(time.Minute)
		f.do(t, op, "POST", "/v1/tenants", `{"accountId":"333344445555"}`, 201, nil)
		for _, tok := range []string{offline, bound.Token} {
			f.do(t, tok, "GET", "/v1/tenants/333344445555", "", 401, nil)
			f.do(t, tok, "POST", "/v1/tenants/333344445555/keys", "", 401, nil)
		}
		// The new tenant's own tokens work.
		f.do(t, c.mint(t, jwtauth.RoleTenantAdmin, "333344445555"), "GET", "/v1/tenants/333344445555/keys", "", 200, nil)
		f.do(t, op, "POST", "/v1/tenants/333344445555/tokens", "", 201, &bound)
		f.do(t, bound.Token, "GET", "/v1/tenants/333344445555/keys", "", 200, nil)

		// Only operators mint, for tenants that exist, for at most 366 days.
		f.do(t, bound.Token, "POST", "/v1/tenants/333344445555/tokens", "", 403, nil)
		f.do(t, op, "POST", "/v1/tenants/999999999999/tokens", "", 404, nil)
		f.do(t, op, "POST", "/v1/tenants/333344445555/tokens", `{"ttlSeconds":31622401}`, 400, nil)
		f.do(t, op, "POST", "/v1/tenants/333344445555/tokens", `{"ttlSeconds":-1}`, 400, nil)
	})
}

// A token revoked through one node is refused there at once and on a
// second node within the token cache's TTL; it worked on both before.
func TestRevokedTokenRefusedOnSecondNode(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		c := newCluster(t, store)
		one, _ := c.node()
		two, _ := c.node()
		op := c.mint(t, jwtauth.RoleOperator, "")
		var tenant tenantReply
		one.do(t, op, "POST", "/v1/tenants", `{}`, 201, &tenant)
		victim := c.mint(t, jwtauth.RoleOperator, "")
		admin := c.mint(t, jwtauth.RoleTenantAdmin, tenant.AccountID)
		adminClaims, err := c.key.Verify(admin, c.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []*fixture{one, two} {
			f.do(t, victim, "GET", "/v1/tenants", "", 200, nil)
			f.do(t, admin, "GET", "/v1/tenants/"+tenant.AccountID, "", 200, nil)
		}

		// An operator token, given whole.
		var rev struct {
			ID, AccountID        string
			ExpiresAt, RevokedAt time.Time
		}
		one.do(t, op, "POST", "/v1/tokens/revoke", `{"token":"`+victim+`"}`, 200, &rev)
		if !rev.ExpiresAt.Equal(c.clock.Now().Add(time.Hour)) || rev.AccountID != "" || len(rev.ID) < 16 {
			t.Fatalf("revocation %+v", rev)
		}
		one.do(t, victim, "GET", "/v1/tenants", "", 401, nil)
		// A tenant-admin token, by id.
		one.do(t, op, "POST", "/v1/tokens/revoke", `{"id":"`+adminClaims.ID+`"}`, 200, &rev)
		if !rev.ExpiresAt.Equal(c.clock.Now().Add(jwtauth.MaxTTL)) {
			t.Fatalf("revoked by id without an expiry: %+v, want the longest a token lives", rev)
		}
		one.do(t, admin, "GET", "/v1/tenants/"+tenant.AccountID, "", 401, nil)

		c.clock.Advance(tenants.DefaultKeyCacheTTL)
		two.do(t, victim, "GET", "/v1/tenants", "", 401, nil)
		two.do(t, admin, "GET", "/v1/tenants/"+tenant.AccountID, "", 401, nil)
		two.do(t, op, "GET", "/v1/tenants", "", 200, nil) // the revoker's own token still works
	})
}

// A tenant-admin may revoke tenant-admin tokens of its own account, given
// whole, and nothing else.
func TestTenantAdminRevokes(t *testing.T) {
	c := newCluster(t, kvtest.OpenLocal(t))
	f, _ := c.node()
	op := c.mint(t, jwtauth.RoleOperator, "")
	var a, b tenantReply
	f.do(t, op, "POST", "/v1/tenants", `{}`, 201, &a)
	f.do(t, op, "POST", "/v1/tenants", `{}`, 201, &b)
	admin := c.mint(t, jwtauth.RoleTenantAdmin, a.AccountID)
	sibling := c.mint(t, jwtauth.RoleTenantAdmin, a.AccountID)
	otherAdmin := c.mint(t, jwtauth.RoleTenantAdmin, b.AccountID)
	siblingClaims, _ := c.key.Verify(sibling, c.clock.Now())

	f.do(t, admin, "POST", "/v1/tokens/revoke", `{"token":"`+otherAdmin+`"}`, 403, nil)
	f.do(t, admin, "POST", "/v1/tokens/revoke", `{"token":"`+op+`"}`, 403, nil)
	f.do(t, admin, "POST", "/v1/tokens/revoke", `{"id":"`+siblingClaims.ID+`"}`, 403, nil)
	f.do(t, otherAdmin, "GET", "/v1/tenants/"+b.AccountID, "", 200, nil)
	f.do(t, op, "GET", "/v1/tenants", "", 200, nil)
	f.do(t, sibling, "GET", "/v1/tenants/"+a.AccountID, "", 200, nil)

	var rev struct{ ID, AccountID string }
	f.do(t, admin, "POST", "/v1/tokens/revoke", `{"token":"`+sibling+`"}`, 200, &rev)
	if rev.ID != siblingClaims.ID || rev.AccountID != a.AccountID {
		t.Fatalf("revocation %+v", rev)
	}
	f.do(t, sibling, "GET", "/v1/tenants/"+a.AccountID, "", 401, nil)
	f.do(t, admin, "GET", "/v1/tenants/"+a.AccountID, "", 200, nil)
	// Its own token too: then it is done.
	f.do(t, admin, "POST", "/v1/tokens/revoke", `{"token":"`+admin+`"}`, 200, nil)
	f.do(t, admin, "GET", "/v1/tenants/"+a.AccountID, "", 401, nil)

	other, _ := jwtauth.ParseKey(strings.Repeat("ab", 32))
	foreign, _ := other.Mint(jwtauth.RoleOperator, "", time.Hour, c.clock.Now())
	for _, body := range []string{
		`{}`,
		`{"token":"` + otherAdmin + `","id":"` + siblingClaims.ID + `"}`,
		`{"token":"` + otherAdmin + `","expiresAt":"2027-01-01T00:00:00Z"}`,
		`{"token":"garbage"}`,
		`{"token":"` + foreign + `"}`,
		`{"id":"short"}`,
		`{"id":"has/a/slash/in/it/xxxxxxx"}`,
		`{"id":"` + siblingClaims.ID + `","expiresAt":"tomorrow"}`,
		`{"id":"` + siblingClaims.ID + `","extra":1}`,
	} {
		f.do(t, op, "POST", "/v1/tokens/revoke", body, 400, nil)
	}
}

// Revocations are kept until their tokens expire, then the periodic reap
// drops them.
func TestReapDropsExpiredRevocations(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		c := newCluster(t, store)
		f, api := c.node()
		op := c.mint(t, jwtauth.RoleOperator, "")
		soon := c.clock.Now().Add(time.Minute).Format(time.RFC3339)
		f.do(t, op, "POST", "/v1/tokens/revoke", `{"id":"SOONSOONSOONSOONSOON","expiresAt":"`+soon+`"}`, 200, nil)
		f.do(t, op, "POST", "/v1/tokens/revoke", `{"token":"`+c.mint(t, jwtauth.RoleOperator, "")+`"}`, 200, nil) // expires in an hour
		if n := countPrefix(t, store, "T/r/"); n != 2 {
			t.Fatalf("%d revocations stored, want 2", n)
		}
		c.clock.Advance(30 * time.Minute)
		if err := api.ReapDeletedTenants(ctx); err != nil {
			t.Fatal(err)
		}
		if n := countPrefix(t, store, "T/r/"); n != 1 {
			t.Fatalf("%d revocations left, want the unexpired one", n)
		}
		c.clock.Advance(time.Hour)
		if err := api.ReapDeletedTenants(ctx); err != nil {
			t.Fatal(err)
		}
		if n := countPrefix(t, store, "T/"); n != 0 {
			t.Fatalf("%d catalog keys left", n)
		}
	})
}

// Tokens without an id cannot be revoked, so none is accepted.
func TestTokenWithoutIDRefused(t *testing.T) {
	c := newCluster(t, kvtest.OpenLocal(t))
	f, _ := c.node()
	now := c.clock.Now()
	claims := jwt.MapClaims{"role": "operator", "iss": "sluice", "aud": "sluice-control-plane", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	legacy, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(hsSecretBytes())
	if err != nil {
		t.Fatal(err)
	}
	f.do(t, legacy, "GET", "/v1/tenants", "", 401, nil)
	claims["jti"] = "LEGACYLEGACYLEGACY"
	withID, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(hsSecretBytes())
	f.do(t, withID, "GET", "/v1/tenants", "", 200, nil)
}

func hsSecretBytes() []byte {
	b := make([]byte, 32)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

func countPrefix(t *testing.T, store kv.Store, prefix string) int {
	t.Helper()
	var n int
	err := store.View(ctx, func(r kv.Reader) error {
		kvs, err := r.Scan(ctx, []byte(prefix), nil, 0)
		for _, p := range kvs {
			if strings.HasPrefix(string(p.Key), prefix) {
				n++
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
