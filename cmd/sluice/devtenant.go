package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/tenants"
)

// devTenantKey remembers which tenant `sluice dev` made, so a restart on
// the same --data keeps the same account and keys.
var devTenantKey = []byte("S/dev/tenant")

type devTenant struct {
	accountID, accessKey, secretKey string
}

// ensureDevTenant returns the dev tenant and a key to sign with, creating
// them on first start, with accountID when it is set. With accessKey and
// secretKey set it imports that key (idempotently) so scripts can fix
// their credentials.
func ensureDevTenant(ctx context.Context, store kv.Store, catalog *tenants.Catalog, accountID, accessKey, secretKey string) (devTenant, error) {
	account, err := devAccount(ctx, store, catalog, accountID)
	if err != nil {
		return devTenant{}, err
	}
	t := devTenant{accountID: account}
	if accessKey != "" {
		if _, err := catalog.ImportAccessKey(ctx, account, accessKey, secretKey); err != nil {
			return devTenant{}, fmt.Errorf("--access-key/--secret-key: %w", err)
		}
		t.accessKey, t.secretKey = accessKey, secretKey
		return t, nil
	}
	keys, err := catalog.ListAccessKeys(ctx, account)
	if err != nil {
		return devTenant{}, fmt.Errorf("dev tenant keys: %w", err)
	}
	for _, k := range keys {
		if k.Status != tenants.KeyActive {
			continue
		}
		cred, err := catalog.Resolve(ctx, k.ID)
		if err != nil {
			return devTenant{}, fmt.Errorf("dev tenant key %s: %w", k.ID, err)
		}
		t.accessKey, t.secretKey = k.ID, cred.Secret
		return t, nil
	}
	key, secret, err := catalog.CreateAccessKey(ctx, account)
	if err != nil {
		return devTenant{}, fmt.Errorf("dev tenant key: %w", err)
	}
	t.accessKey, t.secretKey = key.ID, secret
	return t, nil
}

// validAccountID reports whether id is 12 decimal digits.
func validAccountID(id string) bool {
	if len(id) != 12 {
		return false
	}
	for _, c := range id {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// devAccount returns the dev tenant's account id, creating the tenant once
// (with want, when set). A want other than the existing tenant's fails:
// the account id is fixed when the data directory is first used.
func devAccount(ctx context.Context, store kv.Store, catalog *tenants.Catalog, want string) (string, error) {
	var account string
	err := store.View(ctx, func(r kv.Reader) error {
		v, err := r.Get(ctx, devTenantKey)
		account = string(v)
		return err
	})
	if err == nil {
		if want != "" && want != account {
			return "", fmt.Errorf("--account-id %s: the dev tenant in this --data already has account id %s, fixed when it was created; "+
				"pass --account-id %s (or none), or use a fresh --data for %s", want, account, account, want)
		}
		return account, nil
	}
	if !errors.Is(err, kv.ErrNotFound) {
		return "", fmt.Errorf("dev tenant: %w", err)
	}
	tenant, err := catalog.CreateTenant(ctx, tenants.CreateTenantInput{Name: "dev", AccountID: want})
	if err != nil {
		return "", fmt.Errorf("create dev tenant: %w", err)
	}
	err = store.Update(ctx, func(tx kv.Txn) error { return tx.Set(devTenantKey, []byte(tenant.AccountID)) })
	if err != nil {
		return "", fmt.Errorf("remember dev tenant: %w", err)
	}
	return tenant.AccountID, nil
}
