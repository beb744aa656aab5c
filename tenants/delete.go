package tenants

import (
	"context"
	"errors"
	"fmt"

	"github.com/sluice-mq/sluice/internal/kv"
)

// Deleting a tenant removes its record and access keys in one transaction,
// so its keys stop working at once (within the key cache's TTL on other
// nodes), and leaves a marker T/d/{account}: the tenant's queues and
// messages are removed in the background by whoever runs the deletions
// (PendingDeletions / FinishDeletion), and the account id cannot be taken
// again until that is done.

var deletionPrefix = []byte("T/d/")

func deletionKey(accountID string) []byte { return []byte("T/d/" + accountID) }

// ErrTenantDeleting is CreateTenant's answer for an account id whose
// deletion is still running.
var ErrTenantDeleting = fmt.Errorf("%w: the account is being deleted", ErrTenantExists)

// DeleteTenant deletes the tenant and its access keys and marks its data
// for removal.
func (c *Catalog) DeleteTenant(ctx context.Context, accountID string) error {
	if err := validateAccountID(accountID); err != nil {
		return err
	}
	err := c.store.Update(ctx, func(tx kv.Txn) error {
		if _, err := tx.Get(ctx, tenantKey(accountID)); errors.Is(err, kv.ErrNotFound) {
			return fmt.Errorf("%w: %s", ErrTenantNotFound, accountID)
		} else if err != nil {
			return err
		}
		index, err := tx.Scan(ctx, accountKeysPrefix(accountID), kv.PrefixEnd(accountKeysPrefix(accountID)), 0)
		if err != nil {
			return err
		}
		for _, p := range index {
			id := string(p.Key[len(accountKeysPrefix(accountID)):])
			if err := tx.Delete(accessKeyKey(id)); err != nil {
				return err
			}
			if err := tx.Delete(p.Key); err != nil {
				return err
			}
		}
		if err := tx.Delete(tenantKey(accountID)); err != nil {
			return err
		}
		return tx.Set(deletionKey(accountID), indexMarker)
	})
	c.forgetAccountKeys(accountID)
	c.forgetAccountTokens(accountID)
	return wrap("delete tenant "+accountID, err)
}

// PendingDeletions lists deleted tenants whose data is still to remove.
func (c *Catalog) PendingDeletions(ctx context.Context) ([]string, error) {
	var accounts []string
	err := c.store.View(ctx, func(r kv.Reader) error {
		kvs, err := r.Scan(ctx, deletionPrefix, kv.PrefixEnd(deletionPrefix), 0)
		for _, p := range kvs {
			accounts = append(accounts, string(p.Key[len(deletionPrefix):]))
		}
		return err
	})
	return accounts, wrap("list pending deletions", err)
}

// FinishDeletion clears the marker once the tenant's data is gone, freeing
// the account id.
func (c *Catalog) FinishDeletion(ctx context.Context, accountID string) error {
	err := c.store.Update(ctx, func(tx kv.Txn) error { return tx.Delete(deletionKey(accountID)) })
	return wrap("finish deletion of "+accountID, err)
}
