package tenants

import (
	"context"
	"errors"
	"fmt"

	"github.com/sluice-mq/sluice/internal/kv"
)

// Resolve returns what SigV4 verification needs to know about an access
// key: its account, its secret and whether it may be used
// (Credential.Usable). ErrAccessKeyNotFound when no key has the id.
//
// Answers, unknown ids included, are cached for KeyCacheTTL, so a stream
// of requests — or of bad keys — does not read the store every time.
// Malformed ids are refused without a lookup and are never cached.
func (c *Catalog) Resolve(ctx context.Context, accessKeyID string) (Credential, error) {
	if !validKeyID(accessKeyID) {
		return Credential{}, ErrAccessKeyNotFound
	}
	now := c.now()
	if e, ok := c.keys.get(accessKeyID, now); ok {
		if !e.found {
			return Credential{}, ErrAccessKeyNotFound
		}
		return e.cred, nil
	}
	gen := c.keys.generation()
	cred, err := c.lookup(ctx, accessKeyID)
	switch {
	case err == nil:
		c.keys.put(accessKeyID, keyLookup{cred: cred, found: true}, gen, now)
	case errors.Is(err, ErrAccessKeyNotFound):
		c.keys.put(accessKeyID, keyLookup{}, gen, now)
	}
	return cred, err
}

// keyLookup is what Resolve caches of an access key id.
type keyLookup struct {
	cred  Credential
	found bool
}

// forgetAccountKeys drops the account's cached keys, so this node sees a
// change to its tenant at once.
func (c *Catalog) forgetAccountKeys(accountID string) {
	c.keys.forgetWhere(func(e keyLookup) bool { return e.found && e.cred.AccountID == accountID })
}

// lookup reads the key and its tenant from the store. A key whose tenant
// is missing is not found: it has no one to act for.
func (c *Catalog) lookup(ctx context.Context, id string) (Credential, error) {
	var (
		k      AccessKey
		sealed []byte
		t      Tenant
	)
	err := c.store.View(ctx, func(r kv.Reader) error {
		raw, err := r.Get(ctx, accessKeyKey(id))
		if errors.Is(err, kv.ErrNotFound) {
			return ErrAccessKeyNotFound
		}
		if err != nil {
			return err
		}
		if k, sealed, err = decodeAccessKey(id, raw); err != nil {
			return err
		}
		t, err = getTenant(ctx, r, k.AccountID)
		if errors.Is(err, ErrTenantNotFound) {
			return ErrAccessKeyNotFound
		}
		return err
	})
	if err != nil {
		return Credential{}, wrap("resolve access key "+id, err)
	}
	if c.sealer == nil {
		return Credential{}, ErrNoSealer
	}
	secret, err := c.sealer.Open(sealed, []byte(id))
	if err != nil {
		return Credential{}, fmt.Errorf("tenants: resolve access key %s: %w", id, err)
	}
	return Credential{
		AccessKeyID:  id,
		AccountID:    k.AccountID,
		Secret:       string(secret),
		TenantStatus: t.Status,
		KeyStatus:    k.Status,
		Quotas:       t.Quotas(),
	}, nil
}
