package tenants

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sluice-mq/sluice/internal/kv"
)

// Control-plane tokens (control-plane/jwtauth) are signed, so a node can
// verify one alone; whether it still holds needs the store, which
// CheckToken reads (cached like Resolve):
//
//   - a token is refused once revoked: T/r/{tokenID} holds it until it
//     would have expired anyway, and T/x/{expiry}/{tokenID} indexes those
//     entries by expiry (16 hex digits of Unix seconds, so key order is
//     expiry order) for PurgeExpiredRevocations;
//   - a tenant-admin token holds only for the tenant it was minted for,
//     not for a later tenant given the same account id after a deletion:
//     its incarnation claim must be the tenant's Incarnation, or, without
//     one (tokens minted offline, by `sluice token create`, cannot read
//     it), it must be issued no earlier than the tenant was created.

var expiryPrefix = []byte("T/x/")

func revokedKey(tokenID string) []byte { return []byte("T/r/" + tokenID) }

// expiryKey with tokenID "" is the first key of the second after exp's.
func expiryKey(exp time.Time, tokenID string) []byte {
	return fmt.Appendf(nil, "T/x/%016x/%s", exp.Unix(), tokenID)
}

// revocationGrace is how long past its token's expiry a revocation is
// kept: a node whose clock lags accepts the token until its own clock
// passes the expiry, and must still find it revoked.
const revocationGrace = 5 * time.Minute

// purgeBatch bounds the revocations one transaction of
// PurgeExpiredRevocations removes.
const purgeBatch = 500

var (
	// ErrTokenRevoked: the token was revoked (RevokeToken).
	ErrTokenRevoked = errors.New("tenants: token revoked")
	// ErrTokenStale: a tenant-admin token whose tenant no longer exists,
	// or is a later tenant with the same account id.
	ErrTokenStale = errors.New("tenants: the token's tenant no longer exists")
)

// TokenRef is what CheckToken needs of a token whose signature and expiry
// were verified.
type TokenRef struct {
	ID          string    // jti
	Tenant      string    // a tenant-admin token's account id; "" for an operator token
	Incarnation string    // the token's incarnation claim; "" when it has none
	IssuedAt    time.Time // iat
}

// Revocation is a revoked token.
type Revocation struct {
	TokenID   string
	Tenant    string    // the token's account id, when known; "" for an operator token
	ExpiresAt time.Time // the token's expiry; the revocation is dropped some time after it
	RevokedAt time.Time
}

type revocationRecord struct {
	V         int       `json:"v"`
	Tenant    string    `json:"tenant,omitempty"`
	ExpiresAt time.Time `json:"exp"`
	RevokedAt time.Time `json:"revoked"`
}

// validTokenID: 16 to 128 characters of A-Z, a-z, 0-9, '_' and '-', as
// jwtauth mints them; no '/', which the key layout needs.
func validTokenID(id string) bool {
	if len(id) < 16 || len(id) > 128 {
		return false
	}
	for i := range len(id) {
		switch c := id[i]; {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

func validateTokenID(id string) error {
	if !validTokenID(id) {
		return invalid("token id", "must be 16 to 128 characters of A-Z, a-z, 0-9, _ and -")
	}
	return nil
}

// RevokeToken refuses the token with id tokenID from now on: at once
// through this Catalog, within Options.KeyCacheTTL elsewhere. expiresAt is
// the token's expiry (any later time will do, at the cost of keeping the
// entry longer); tenant is the token's account id, when known, kept for
// the record. Revoking a revoked token again keeps the later expiry.
func (c *Catalog) RevokeToken(ctx context.Context, tokenID, tenant string, expiresAt time.Time) (Revocation, error) {
	if err := validateTokenID(tokenID); err != nil {
		return Revocation{}, err
	}
	if tenant != "" {
		if err := validateAccountID(tenant); err != nil {
			return Revocation{}, err
		}
	}
	if expiresAt.Unix() <= 0 { // the expiry index holds Unix seconds
		return Revocation{}, invalid("token expiry", "required, after 1970")
	}
	want := Revocation{TokenID: tokenID, Tenant: tenant, ExpiresAt: expiresAt.UTC().Truncate(time.Second), RevokedAt: c.timestamp()}
	var rev Revocation
	err := c.store.Update(ctx, func(tx kv.Txn) error {
		rev = want
		raw, err := tx.Get(ctx, revokedKey(tokenID))
		switch {
		case err == nil:
			old, err := decodeRevocation(tokenID, raw)
			if err != nil {
				return err
			}
			if !old.ExpiresAt.Before(rev.ExpiresAt) {
				rev = old
				return nil
			}
			if err := tx.Delete(expiryKey(old.ExpiresAt, tokenID)); err != nil {
				return err
			}
			if rev.Tenant == "" {
				rev.Tenant = old.Tenant
			}
		case !errors.Is(err, kv.ErrNotFound):
			return err
		}
		value, err := encodeRevocation(rev)
		if err != nil {
			return err
		}
		if err := tx.Set(revokedKey(tokenID), value); err != nil {
			return err
		}
		return tx.Set(expiryKey(rev.ExpiresAt, tokenID), indexMarker)
	})
	c.tokens.forget(tokenID)
	if err != nil {
		return Revocation{}, wrap("revoke token "+tokenID, err)
	}
	return rev, nil
}

// CheckToken reports whether a verified token still holds: nil, or
// ErrTokenRevoked, or ErrTokenStale for a tenant-admin token whose tenant
// is gone or is a later tenant of the same account id (see the file
// comment for the rule). What it reads is cached for KeyCacheTTL per token
// id, so another node's revocation or deletion is seen within that time.
func (c *Catalog) CheckToken(ctx context.Context, ref TokenRef) error {
	if err := validateTokenID(ref.ID); err != nil {
		return err
	}
	if ref.Tenant != "" {
		if err := validateAccountID(ref.Tenant); err != nil {
			return err
		}
	}
	now := c.now()
	e, ok := c.tokens.get(ref.ID, now)
	if !ok || e.account != ref.Tenant {
		gen := c.tokens.generation()
		var err error
		if e, err = c.lookupToken(ctx, ref); err != nil {
			return err
		}
		c.tokens.put(ref.ID, e, gen, now)
	}
	return e.judge(ref)
}

// tokenLookup is what CheckToken read for a token id: whether it is
// revoked and, for a tenant-admin token, its tenant.
type tokenLookup struct {
	revoked     bool
	account     string // "" for an operator token: nothing below is read
	found       bool
	incarnation string
	created     time.Time
}

func (c *Catalog) lookupToken(ctx context.Context, ref TokenRef) (tokenLookup, error) {
	e := tokenLookup{account: ref.Tenant}
	keys := [][]byte{revokedKey(ref.ID)}
	if ref.Tenant != "" {
		keys = append(keys, tenantKey(ref.Tenant))
	}
	var got map[string][]byte
	err := c.store.View(ctx, func(r kv.Reader) (err error) {
		got, err = r.BatchGet(ctx, keys)
		return err
	})
	if err != nil {
		return tokenLookup{}, wrap("check token "+ref.ID, err)
	}
	_, e.revoked = got[string(revokedKey(ref.ID))]
	if raw, ok := got[string(tenantKey(ref.Tenant))]; ok && ref.Tenant != "" {
		t, err := decodeTenant(ref.Tenant, raw)
		if err != nil {
			return tokenLookup{}, err
		}
		e.found, e.incarnation, e.created = true, t.Incarnation, t.CreatedAt
	}
	return e, nil
}

func (e tokenLookup) judge(ref TokenRef) error {
	switch {
	case e.revoked:
		return fmt.Errorf("%w: %s", ErrTokenRevoked, ref.ID)
	case ref.Tenant == "":
		return nil
	case !e.found:
		return fmt.Errorf("%w: no tenant %s", ErrTokenStale, ref.Tenant)
	case ref.Incarnation != "":
		if ref.Incarnation != e.incarnation {
			return fmt.Errorf("%w: tenant %s is another incarnation", ErrTokenStale, ref.Tenant)
		}
	// iat has whole seconds: a token minted in the second the tenant was
	// created, after it, must pass.
	case ref.IssuedAt.Before(e.created.Truncate(time.Second)):
		return fmt.Errorf("%w: tenant %s was created after the token was issued", ErrTokenStale, ref.Tenant)
	}
	return nil
}

// forgetAccountTokens drops cached token checks of the account's
// tenant-admin tokens, when a tenant of that account id is created or
// deleted.
func (c *Catalog) forgetAccountTokens(accountID string) {
	c.tokens.forgetWhere(func(e tokenLookup) bool { return e.account == accountID })
}

// PurgeExpiredRevocations removes revocations of tokens that expired more
// than a few minutes ago (they are refused as expired anyway) and returns
// how many. Control-plane nodes run it periodically; running it on several
// at once is harmless.
func (c *Catalog) PurgeExpiredRevocations(ctx context.Context) (int, error) {
	end := expiryKey(c.now().Add(-revocationGrace), "")
	total := 0
	for {
		n := 0
		err := c.store.Update(ctx, func(tx kv.Txn) error {
			expired, err := tx.Scan(ctx, expiryPrefix, end, purgeBatch)
			if err != nil {
				return err
			}
			for _, p := range expired {
				// RevokeToken moves the index entry with the record, so
				// an entry's record expires with it.
				id := string(p.Key[len(expiryPrefix)+17:]) // 16 hex digits and '/'
				if err := tx.Delete(p.Key); err != nil {
					return err
				}
				if err := tx.Delete(revokedKey(id)); err != nil {
					return err
				}
			}
			n = len(expired)
			return nil
		})
		if err != nil {
			return total, wrap("purge expired revocations", err)
		}
		total += n
		if n < purgeBatch {
			return total, nil
		}
	}
}

func encodeRevocation(r Revocation) ([]byte, error) {
	return json.Marshal(revocationRecord{V: recordVersion, Tenant: r.Tenant, ExpiresAt: r.ExpiresAt, RevokedAt: r.RevokedAt})
}

func decodeRevocation(tokenID string, raw []byte) (Revocation, error) {
	var r revocationRecord
	if err := decodeRecord(raw, &r, &r.V); err != nil {
		return Revocation{}, fmt.Errorf("tenants: revoked token record %s: %w", tokenID, err)
	}
	return Revocation{TokenID: tokenID, Tenant: r.Tenant, ExpiresAt: r.ExpiresAt, RevokedAt: r.RevokedAt}, nil
}
