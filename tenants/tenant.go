package tenants

import (
	"context"
	"errors"
	"fmt"

	"github.com/sluice-mq/sluice/internal/kv"
)

const (
	// DefaultListLimit is the page size of ListTenants when none is given.
	DefaultListLimit = 100
	// MaxListLimit bounds the page size of ListTenants.
	MaxListLimit = 1000
	// generateAttempts bounds retries when a generated id is taken (with
	// 9·10^11 ids, a second attempt is already rare).
	generateAttempts = 10
)

// CreateTenantInput describes a new tenant.
type CreateTenantInput struct {
	AccountID string // 12 digits; generated when empty
	Name      string // optional, at most 80 characters
	Plan      Plan   // DefaultPlan when empty
	Overrides Quotas // fields set replace the plan's
}

// CreateTenant creates an active tenant. It returns ErrTenantExists when
// the given account id is taken, and an *InvalidInputError for a malformed
// one or a bad name.
func (c *Catalog) CreateTenant(ctx context.Context, in CreateTenantInput) (Tenant, error) {
	if err := validateName(in.Name); err != nil {
		return Tenant{}, err
	}
	if in.Plan == "" {
		in.Plan = DefaultPlan
	}
	if err := validPlan(in.Plan); err != nil {
		return Tenant{}, err
	}
	if err := in.Overrides.validate(); err != nil {
		return Tenant{}, err
	}
	if in.AccountID != "" {
		if err := validateAccountID(in.AccountID); err != nil {
			return Tenant{}, err
		}
		return c.insertTenant(ctx, in.AccountID, in)
	}
	for range generateAttempts {
		t, err := c.insertTenant(ctx, newAccountID(), in)
		if !errors.Is(err, ErrTenantExists) {
			return t, err
		}
	}
	return Tenant{}, fmt.Errorf("tenants: create tenant: %d generated account ids were all taken", generateAttempts)
}

func (c *Catalog) insertTenant(ctx context.Context, accountID string, in CreateTenantInput) (Tenant, error) {
	now := c.timestamp()
	t := Tenant{AccountID: accountID, Name: in.Name, Status: StatusActive, Plan: in.Plan, Overrides: in.Overrides,
		Incarnation: newIncarnation(), CreatedAt: now, UpdatedAt: now}
	value, err := encodeTenant(t)
	if err != nil {
		return Tenant{}, wrap("create tenant", err)
	}
	key := tenantKey(accountID)
	err = c.store.Update(ctx, func(tx kv.Txn) error {
		// Two creators of one id both read "missing"; their writes of the
		// same key conflict, and the retried one then finds the tenant.
		switch _, err := tx.Get(ctx, key); {
		case err == nil:
			return fmt.Errorf("%w: %s", ErrTenantExists, accountID)
		case !errors.Is(err, kv.ErrNotFound):
			return err
		}
		switch _, err := tx.Get(ctx, deletionKey(accountID)); {
		case err == nil:
			return fmt.Errorf("%w: %s", ErrTenantDeleting, accountID)
		case !errors.Is(err, kv.ErrNotFound):
			return err
		}
		return tx.Set(key, value)
	})
	// A token of the account's previous tenant, or one checked while the
	// account had none, may be cached: it must be read again.
	c.forgetAccountTokens(accountID)
	if err != nil {
		return Tenant{}, wrap("create tenant "+accountID, err)
	}
	return t, nil
}

// GetTenant returns the tenant, or ErrTenantNotFound.
func (c *Catalog) GetTenant(ctx context.Context, accountID string) (Tenant, error) {
	if err := validateAccountID(accountID); err != nil {
		return Tenant{}, err
	}
	var t Tenant
	err := c.store.View(ctx, func(r kv.Reader) (err error) {
		t, err = getTenant(ctx, r, accountID)
		return err
	})
	return t, wrap("get tenant "+accountID, err)
}

func getTenant(ctx context.Context, r kv.Reader, accountID string) (Tenant, error) {
	raw, err := r.Get(ctx, tenantKey(accountID))
	if errors.Is(err, kv.ErrNotFound) {
		return Tenant{}, fmt.Errorf("%w: %s", ErrTenantNotFound, accountID)
	}
	if err != nil {
		return Tenant{}, err
	}
	return decodeTenant(accountID, raw)
}

// ListTenants returns up to limit tenants (DefaultListLimit when limit <=
// 0, at most MaxListLimit) in account id order, starting after the account
// id after ("" for the first page). next is the after of the following
// page, or "" on the last one.
func (c *Catalog) ListTenants(ctx context.Context, limit int, after string) (tenants []Tenant, next string, err error) {
	if after != "" {
		if err := validateAccountID(after); err != nil {
			return nil, "", err
		}
	}
	if limit <= 0 {
		limit = DefaultListLimit
	}
	limit = min(limit, MaxListLimit)
	start := tenantPrefix
	if after != "" {
		start = append(tenantKey(after), 0) // the first key after it
	}
	var page []kv.KV
	err = c.store.View(ctx, func(r kv.Reader) (err error) {
		// One more than asked tells whether another page follows.
		page, err = r.Scan(ctx, start, kv.PrefixEnd(tenantPrefix), limit+1)
		return err
	})
	if err != nil {
		return nil, "", wrap("list tenants", err)
	}
	more := len(page) > limit
	page = page[:min(len(page), limit)]
	tenants = make([]Tenant, 0, len(page))
	for _, p := range page {
		t, err := decodeTenant(string(p.Key[len(tenantPrefix):]), p.Value)
		if err != nil {
			return nil, "", err
		}
		tenants = append(tenants, t)
	}
	if more {
		next = tenants[len(tenants)-1].AccountID
	}
	return tenants, next, nil
}

// SetTenantStatus suspends or reactivates a tenant and returns it. Its
// keys stop or resume working at once through this Catalog and within
// KeyCacheTTL elsewhere. Setting the current status changes nothing.
func (c *Catalog) SetTenantStatus(ctx context.Context, accountID string, status Status) (Tenant, error) {
	if !status.valid() {
		return Tenant{}, invalid("tenant status", "%q is neither %q nor %q", status, StatusActive, StatusSuspended)
	}
	return c.patchTenant(ctx, accountID, "set status of tenant", func(t Tenant) map[string]any {
		if t.Status == status {
			return nil // already so: nothing to write
		}
		return map[string]any{"status": status, "updated": c.timestamp()}
	})
}

// SetTenantPlan changes the tenant's plan and quota overrides (nil leaves
// one as it is). Like a status change it reaches every node's key cache
// within Options.KeyCacheTTL.
func (c *Catalog) SetTenantPlan(ctx context.Context, accountID string, plan *Plan, overrides *Quotas) (Tenant, error) {
	fields := map[string]any{"updated": c.timestamp()}
	if plan != nil {
		if err := validPlan(*plan); err != nil {
			return Tenant{}, err
		}
		fields["plan"] = *plan
	}
	if overrides != nil {
		if err := overrides.validate(); err != nil {
			return Tenant{}, err
		}
		fields["quotas"] = *overrides
	}
	return c.patchTenant(ctx, accountID, "set plan of tenant", func(Tenant) map[string]any { return fields })
}

// patchTenant sets the fields change returns (none: no write) on the
// stored record, keeping the ones this version does not know, and forgets
// the account's cached keys so this node sees the change at once.
func (c *Catalog) patchTenant(ctx context.Context, accountID, what string, change func(Tenant) map[string]any) (Tenant, error) {
	if err := validateAccountID(accountID); err != nil {
		return Tenant{}, err
	}
	var t Tenant
	key := tenantKey(accountID)
	err := c.store.Update(ctx, func(tx kv.Txn) error {
		raw, err := tx.Get(ctx, key)
		if errors.Is(err, kv.ErrNotFound) {
			return fmt.Errorf("%w: %s", ErrTenantNotFound, accountID)
		}
		if err != nil {
			return err
		}
		if t, err = decodeTenant(accountID, raw); err != nil {
			return err
		}
		fields := change(t)
		if fields == nil {
			return nil
		}
		patched, err := patchRecord(raw, fields)
		if err != nil {
			return fmt.Errorf("tenant record %s: %w", accountID, err)
		}
		if t, err = decodeTenant(accountID, patched); err != nil {
			return err
		}
		return tx.Set(key, patched)
	})
	c.forgetAccountKeys(accountID)
	if err != nil {
		return Tenant{}, wrap(what+" "+accountID, err)
	}
	return t, nil
}
