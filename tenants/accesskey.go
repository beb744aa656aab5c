package tenants

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"

	"github.com/sluice-mq/sluice/internal/kv"
)

// errKeyIDTaken asks CreateAccessKey to draw another id.
var errKeyIDTaken = errors.New("generated access key id taken")

// CreateAccessKey creates an active access key for the tenant and returns
// it with its secret. The secret is not kept in clear: this is the only
// time it can be read. ErrTenantNotFound when the tenant does not exist.
func (c *Catalog) CreateAccessKey(ctx context.Context, accountID string) (AccessKey, string, error) {
	if err := validateAccountID(accountID); err != nil {
		return AccessKey{}, "", err
	}
	secret := newSecret()
	for range generateAttempts {
		k := AccessKey{ID: newAccessKeyID(), AccountID: accountID, Status: KeyActive, CreatedAt: c.timestamp()}
		_, err := c.insertAccessKey(ctx, k, secret, func(AccessKey, []byte) error { return errKeyIDTaken })
		if !errors.Is(err, errKeyIDTaken) {
			if err != nil {
				return AccessKey{}, "", wrap("create access key for "+accountID, err)
			}
			return k, secret, nil
		}
	}
	return AccessKey{}, "", fmt.Errorf("tenants: create access key for %s: %d generated ids were all taken", accountID, generateAttempts)
}

// ImportAccessKey stores a key whose id and secret the caller chose (as
// `sluice dev --access-key/--secret-key` does). Importing the same id and
// secret into the same account again returns the stored key unchanged,
// status included. ErrAccessKeyExists when the id belongs to another
// account or has another secret; ErrTenantNotFound when the tenant does
// not exist. The id must be 16 to 128 characters of A-Z and 0-9; the
// secret 16 to 128 printable ASCII characters without spaces.
func (c *Catalog) ImportAccessKey(ctx context.Context, accountID, id, secret string) (AccessKey, error) {
	if err := validateAccountID(accountID); err != nil {
		return AccessKey{}, err
	}
	if err := validateKeyID(id); err != nil {
		return AccessKey{}, err
	}
	if err := validateSecret(secret); err != nil {
		return AccessKey{}, err
	}
	k := AccessKey{ID: id, AccountID: accountID, Status: KeyActive, CreatedAt: c.timestamp()}
	k, err := c.insertAccessKey(ctx, k, secret, func(existing AccessKey, sealed []byte) error {
		if existing.AccountID != accountID {
			return fmt.Errorf("%w: %s belongs to another account", ErrAccessKeyExists, id)
		}
		if c.sealer == nil {
			return ErrNoSealer
		}
		stored, err := c.sealer.Open(sealed, []byte(id))
		if err != nil {
			return fmt.Errorf("open stored secret: %w", err)
		}
		if subtle.ConstantTimeCompare(stored, []byte(secret)) != 1 {
			return fmt.Errorf("%w: %s has another secret", ErrAccessKeyExists, id)
		}
		return nil
	})
	if err != nil {
		return AccessKey{}, wrap("import access key "+id, err)
	}
	return k, nil
}

// insertAccessKey writes the key record and its account index entry,
// after checking that the tenant exists, and returns the key. When the id
// is already taken it writes nothing: onTaken decides, from the stored key
// and sealed secret, between an error and returning the stored key.
func (c *Catalog) insertAccessKey(ctx context.Context, k AccessKey, secret string, onTaken func(existing AccessKey, sealed []byte) error) (AccessKey, error) {
	if c.sealer == nil {
		return AccessKey{}, ErrNoSealer
	}
	sealed, err := c.sealer.Seal([]byte(secret), []byte(k.ID))
	if err != nil {
		return AccessKey{}, err
	}
	value, err := encodeAccessKey(k, sealed)
	if err != nil {
		return AccessKey{}, err
	}
	key := accessKeyKey(k.ID)
	var stored AccessKey
	err = c.store.Update(ctx, func(tx kv.Txn) error {
		stored = k
		if _, err := getTenant(ctx, tx, k.AccountID); err != nil {
			return err
		}
		switch raw, err := tx.Get(ctx, key); {
		case err == nil:
			existing, sealed, err := decodeAccessKey(k.ID, raw)
			if err != nil {
				return err
			}
			stored = existing
			return onTaken(existing, sealed)
		case !errors.Is(err, kv.ErrNotFound):
			return err
		}
		if err := tx.Set(key, value); err != nil {
			return err
		}
		return tx.Set(accountKeyKey(k.AccountID, k.ID), indexMarker)
	})
	c.keys.forget(k.ID) // a miss may be cached
	if err != nil {
		return AccessKey{}, err
	}
	return stored, nil
}

// ListAccessKeys returns the tenant's keys in id order, without secrets.
// ErrTenantNotFound when the tenant does not exist.
func (c *Catalog) ListAccessKeys(ctx context.Context, accountID string) ([]AccessKey, error) {
	if err := validateAccountID(accountID); err != nil {
		return nil, err
	}
	var keys []AccessKey
	err := c.store.View(ctx, func(r kv.Reader) error {
		if _, err := getTenant(ctx, r, accountID); err != nil {
			return err
		}
		prefix := accountKeysPrefix(accountID)
		index, err := r.Scan(ctx, prefix, kv.PrefixEnd(prefix), 0)
		if err != nil {
			return err
		}
		recordKeys := make([][]byte, len(index))
		for i, p := range index {
			recordKeys[i] = accessKeyKey(string(p.Key[len(prefix):]))
		}
		records, err := r.BatchGet(ctx, recordKeys)
		if err != nil {
			return err
		}
		keys = make([]AccessKey, 0, len(index))
		for _, rk := range recordKeys {
			id := string(rk[len(keyPrefix):])
			raw, ok := records[string(rk)]
			if !ok {
				// Both are written and deleted in one transaction.
				return fmt.Errorf("index lists access key %s, which has no record", id)
			}
			k, _, err := decodeAccessKey(id, raw)
			if err != nil {
				return err
			}
			keys = append(keys, k)
		}
		return nil
	})
	if err != nil {
		return nil, wrap("list access keys of "+accountID, err)
	}
	return keys, nil
}

// SetAccessKeyStatus activates or deactivates one of the tenant's keys and
// returns it. ErrAccessKeyNotFound when the account has no such key.
func (c *Catalog) SetAccessKeyStatus(ctx context.Context, accountID, id string, status KeyStatus) (AccessKey, error) {
	if !status.valid() {
		return AccessKey{}, invalid("access key status", "%q is neither %q nor %q", status, KeyActive, KeyInactive)
	}
	var k AccessKey
	err := c.changeAccessKey(ctx, accountID, id, func(tx kv.Txn, raw []byte) (err error) {
		if k, _, err = decodeAccessKey(id, raw); err != nil || k.Status == status {
			return err
		}
		patched, err := patchRecord(raw, map[string]any{"status": status})
		if err != nil {
			return fmt.Errorf("access key record %s: %w", id, err)
		}
		k.Status = status
		return tx.Set(accessKeyKey(id), patched)
	})
	if err != nil {
		return AccessKey{}, wrap("set status of access key "+id, err)
	}
	return k, nil
}

// DeleteAccessKey deletes one of the tenant's keys; it stops working at
// once through this Catalog and within KeyCacheTTL elsewhere.
// ErrAccessKeyNotFound when the account has no such key.
func (c *Catalog) DeleteAccessKey(ctx context.Context, accountID, id string) error {
	err := c.changeAccessKey(ctx, accountID, id, func(tx kv.Txn, _ []byte) error {
		if err := tx.Delete(accessKeyKey(id)); err != nil {
			return err
		}
		return tx.Delete(accountKeyKey(accountID, id))
	})
	return wrap("delete access key "+id, err)
}

// changeAccessKey runs change on the key's record in a transaction when
// the key exists and belongs to the account. A key of another account is
// reported as not found, so its existence does not leak.
func (c *Catalog) changeAccessKey(ctx context.Context, accountID, id string, change func(tx kv.Txn, raw []byte) error) error {
	if err := validateAccountID(accountID); err != nil {
		return err
	}
	if err := validateKeyID(id); err != nil {
		return err
	}
	err := c.store.Update(ctx, func(tx kv.Txn) error {
		// The account's index entry says whether the key is its own.
		if _, err := tx.Get(ctx, accountKeyKey(accountID, id)); errors.Is(err, kv.ErrNotFound) {
			return fmt.Errorf("%w: %s", ErrAccessKeyNotFound, id)
		} else if err != nil {
			return err
		}
		raw, err := tx.Get(ctx, accessKeyKey(id))
		if err != nil {
			return err
		}
		return change(tx, raw)
	})
	c.keys.forget(id)
	return err
}
