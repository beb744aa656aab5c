package tenants_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/tenants"
)

const (
	tokenA = "TOKENAAAAAAAAAAAAAAAAAAAAA"
	tokenB = "TOKENBBBBBBBBBBBBBBBBBBBBB"
)

func wantTokenErr(t *testing.T, c *tenants.Catalog, ref tenants.TokenRef, want error) {
	t.Helper()
	err := c.CheckToken(ctx, ref)
	if (want == nil && err != nil) || !errors.Is(err, want) {
		t.Fatalf("CheckToken(%+v) = %v, want %v", ref, err, want)
	}
}

// A tenant-admin token holds for the tenant it was minted for, not for a
// later tenant given the same account id: by incarnation when the token
// names one, else by its issue time.
func TestTenantAdminTokenOutlivesNoTenant(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		issued := e.clock.Now()
		offline := tenants.TokenRef{ID: tokenB, Tenant: "111122223333", IssuedAt: issued}
		wantTokenErr(t, e.cat, offline, tenants.ErrTokenStale) // no such tenant yet, and cached so
		first := mustCreateTenant(t, e.cat, "111122223333")
		bound := tenants.TokenRef{ID: tokenA, Tenant: first.AccountID, Incarnation: first.Incarnation, IssuedAt: issued}
		wantTokenErr(t, e.cat, bound, nil)
		wantTokenErr(t, e.cat, offline, nil)
		wantTokenErr(t, e.cat, tenants.TokenRef{ID: tokenA + "1", Tenant: first.AccountID, IssuedAt: issued.Add(-time.Second)}, tenants.ErrTokenStale)
		wantTokenErr(t, e.cat, tenants.TokenRef{ID: tokenA + "2", Tenant: first.AccountID, Incarnation: "ANOTHERINCARNATION", IssuedAt: issued}, tenants.ErrTokenStale)
		wantTokenErr(t, e.cat, tenants.TokenRef{ID: tokenA + "3", IssuedAt: issued}, nil) // operator

		// A status change keeps the incarnation.
		if _, err := e.cat.SetTenantStatus(ctx, first.AccountID, tenants.StatusSuspended); err != nil {
			t.Fatal(err)
		}
		wantTokenErr(t, e.cat, bound, nil)

		if err := e.cat.DeleteTenant(ctx, first.AccountID); err != nil {
			t.Fatal(err)
		}
		// Cached answers are forgotten on this node.
		wantTokenErr(t, e.cat, bound, tenants.ErrTokenStale)
		wantTokenErr(t, e.cat, offline, tenants.ErrTokenStale)
		if err := e.cat.FinishDeletion(ctx, first.AccountID); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Minute)
		second := mustCreateTenant(t, e.cat, first.AccountID)
		if second.Incarnation == first.Incarnation {
			t.Fatalf("both tenants have incarnation %q", first.Incarnation)
		}
		wantTokenErr(t, e.cat, bound, tenants.ErrTokenStale)
		wantTokenErr(t, e.cat, offline, tenants.ErrTokenStale)
		wantTokenErr(t, e.cat, tenants.TokenRef{ID: tokenA + "4", Tenant: second.AccountID, Incarnation: second.Incarnation, IssuedAt: issued}, nil)
		wantTokenErr(t, e.cat, tenants.TokenRef{ID: tokenA + "5", Tenant: second.AccountID, IssuedAt: e.clock.Now()}, nil)
	})
}

// Tenants created before incarnations existed have none: their tokens go
// by issue time.
func TestTokenOfTenantWithoutIncarnation(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		e.clock.Advance(1500 * time.Millisecond) // created at .500: a token of that second passes
		mustCreateTenant(t, e.cat, "111122223333")
		var rec map[string]any
		if err := json.Unmarshal(getRaw(t, e.store, "T/t/111122223333"), &rec); err != nil {
			t.Fatal(err)
		}
		if rec["inc"] == nil {
			t.Fatalf("record %v has no incarnation", rec)
		}
		delete(rec, "inc")
		old, _ := json.Marshal(rec)
		setRaw(t, e.store, "T/t/111122223333", old)
		got, err := e.cat.GetTenant(ctx, "111122223333")
		if err != nil || got.Incarnation != "" {
			t.Fatalf("legacy tenant %+v, %v", got, err)
		}
		second := e.clock.Now().Truncate(time.Second)
		wantTokenErr(t, e.cat, tenants.TokenRef{ID: tokenA, Tenant: "111122223333", IssuedAt: second}, nil)
		wantTokenErr(t, e.cat, tenants.TokenRef{ID: tokenB, Tenant: "111122223333", IssuedAt: second.Add(-time.Second)}, tenants.ErrTokenStale)
		wantTokenErr(t, e.cat, tenants.TokenRef{ID: tokenA + "1", Tenant: "111122223333", Incarnation: "SOMEINCARNATION1", IssuedAt: second}, tenants.ErrTokenStale)
	})
}

// A token revoked through one node is refused there at once, and on
// another node sharing the store once its cache entry expires.
func TestRevokedTokenRefusedOnAnotherNode(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		mustCreateTenant(t, e.cat, "111122223333")
		other := e.node(tenants.Options{KeyCacheTTL: time.Second})
		operator := tenants.TokenRef{ID: tokenA, IssuedAt: e.clock.Now()}
		admin := tenants.TokenRef{ID: tokenB, Tenant: "111122223333", IssuedAt: e.clock.Now()}
		for _, c := range []*tenants.Catalog{e.cat, other} {
			wantTokenErr(t, c, operator, nil)
			wantTokenErr(t, c, admin, nil)
		}
		exp := e.clock.Now().Add(time.Hour)
		for _, ref := range []tenants.TokenRef{operator, admin} {
			rev, err := e.cat.RevokeToken(ctx, ref.ID, ref.Tenant, exp)
			if err != nil {
				t.Fatal(err)
			}
			if rev.TokenID != ref.ID || rev.Tenant != ref.Tenant || !rev.ExpiresAt.Equal(exp) || !rev.RevokedAt.Equal(e.clock.Now()) {
				t.Fatalf("revocation %+v", rev)
			}
			wantTokenErr(t, e.cat, ref, tenants.ErrTokenRevoked)
			wantTokenErr(t, other, ref, nil) // cached: the price of not reading the store per request
		}
		e.clock.Advance(time.Second)
		for _, ref := range []tenants.TokenRef{operator, admin} {
			wantTokenErr(t, other, ref, tenants.ErrTokenRevoked)
		}
		wantTokenErr(t, other, tenants.TokenRef{ID: tokenA + "1", IssuedAt: e.clock.Now()}, nil)

		// Revoking again keeps the later expiry and the first tenant.
		rev, err := e.cat.RevokeToken(ctx, tokenB, "", exp.Add(-time.Minute))
		if err != nil || !rev.ExpiresAt.Equal(exp) || rev.Tenant != "111122223333" {
			t.Fatalf("revoked again: %+v, %v", rev, err)
		}
		if n := countKeys(t, e, "T/x/"); n != 2 {
			t.Fatalf("%d expiry index entries, want 2", n)
		}
		if rev, err = e.cat.RevokeToken(ctx, tokenB, "", exp.Add(time.Minute)); err != nil || !rev.ExpiresAt.Equal(exp.Add(time.Minute)) {
			t.Fatalf("revoked with a later expiry: %+v, %v", rev, err)
		}
		if n := countKeys(t, e, "T/x/"); n != 2 {
			t.Fatalf("%d expiry index entries after a later expiry, want 2", n)
		}
	})
}

func TestPurgeExpiredRevocations(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		now := e.clock.Now()
		// More than one purge transaction's worth expire first, within a second.
		const early = 600
		for i := range early {
			if _, err := e.cat.RevokeToken(ctx, fmt.Sprintf("EARLY%020d", i), "", now.Add(time.Hour+time.Duration(i)*time.Millisecond)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.cat.RevokeToken(ctx, tokenA, "", now.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := e.cat.RevokeToken(ctx, tokenB, "111122223333", now.Add(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if n, err := e.cat.PurgeExpiredRevocations(ctx); err != nil || n != 0 {
			t.Fatalf("purged %d, %v before anything expired", n, err)
		}
		// Kept a few minutes past the expiry, for nodes whose clocks lag.
		e.clock.Advance(time.Hour + time.Minute)
		if n, err := e.cat.PurgeExpiredRevocations(ctx); err != nil || n != 0 {
			t.Fatalf("purged %d, %v within the grace period", n, err)
		}
		e.clock.Advance(10 * time.Minute)
		if n, err := e.cat.PurgeExpiredRevocations(ctx); err != nil || n != early {
			t.Fatalf("purged %d, %v, want %d", n, err, early)
		}
		if r, x := countKeys(t, e, "T/r/"), countKeys(t, e, "T/x/"); r != 2 || x != 2 {
			t.Fatalf("%d revocations and %d index entries left, want 2 and 2", r, x)
		}
		wantTokenErr(t, e.node(tenants.Options{}), tenants.TokenRef{ID: tokenA, IssuedAt: now}, tenants.ErrTokenRevoked)
		e.clock.Advance(3 * time.Hour)
		if n, err := e.cat.PurgeExpiredRevocations(ctx); err != nil || n != 2 {
			t.Fatalf("purged %d, %v, want 2", n, err)
		}
		if left := scanAll(t, e.store); len(left) != 0 {
			t.Fatalf("%d keys left, first %q", len(left), left[0].Key)
		}
	})
}

func TestTokenInputsRefused(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		exp := e.clock.Now().Add(time.Hour)
		for _, id := range []string{"", "short", strings.Repeat("A", 129), "TOKEN/AAAAAAAAAAAAAAAAAA", "TOKEN AAAAAAAAAAAAAAAAAA"} {
			if _, err := e.cat.RevokeToken(ctx, id, "", exp); !errors.Is(err, tenants.ErrInvalidInput) {
				t.Errorf("RevokeToken(%q) = %v", id, err)
			}
			wantTokenErr(t, e.cat, tenants.TokenRef{ID: id}, tenants.ErrInvalidInput)
		}
		if _, err := e.cat.RevokeToken(ctx, tokenA, "12", exp); !errors.Is(err, tenants.ErrInvalidInput) {
			t.Errorf("bad tenant: %v", err)
		}
		if _, err := e.cat.RevokeToken(ctx, tokenA, "", time.Time{}); !errors.Is(err, tenants.ErrInvalidInput) {
			t.Errorf("no expiry: %v", err)
		}
		if left := scanAll(t, e.store); len(left) != 0 {
			t.Fatalf("refused inputs stored %d keys", len(left))
		}
	})
}

func countKeys(t *testing.T, e *env, prefix string) int {
	t.Helper()
	n := 0
	for _, p := range scanAll(t, e.store) {
		if strings.HasPrefix(string(p.Key), prefix) {
			n++
		}
	}
	return n
}
