package client

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"strconv"

	"github.com/sluice-mq/sluice/sdk/api"
)

// CreateTenant creates a tenant (operator). The account id is generated
// unless req gives one; a taken one is a conflict (IsConflict).
func (c *Client) CreateTenant(ctx context.Context, req api.CreateTenantRequest) (api.Tenant, error) {
	return callFor[api.Tenant](ctx, c, call{method: http.MethodPost, path: api.PathTenants, body: req})
}

// ListTenantsPage reads one page of tenants by account id (operator):
// limit of them (0: the server's default, 100; at most 1000) after the
// account id after ("" for the first page). The reply's Next, when set,
// is the after of the next page.
func (c *Client) ListTenantsPage(ctx context.Context, limit int, after string) (api.TenantList, error) {
	q := url.Values{}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if after != "" {
		q.Set("after", after)
	}
	return callFor[api.TenantList](ctx, c, call{method: http.MethodGet, path: api.PathTenants, query: q})
}

// ListTenants yields every tenant, a page of pageSize (0: the server's
// default) at a time. A failed page yields its error and ends the
// sequence; breaking out of the loop stops reading pages.
func (c *Client) ListTenants(ctx context.Context, pageSize int) iter.Seq2[api.Tenant, error] {
	return pages(func(next string) ([]api.Tenant, string, error) {
		l, err := c.ListTenantsPage(ctx, pageSize, next)
		return l.Tenants, l.Next, err
	})
}

// GetTenant reads a tenant; IsNotFound when there is none.
func (c *Client) GetTenant(ctx context.Context, account string) (api.Tenant, error) {
	return callFor[api.Tenant](ctx, c, call{method: http.MethodGet, path: api.PathTenant}, account)
}

// UpdateTenant sets a tenant's plan, its quota overrides (all of them), or
// both (operator).
func (c *Client) UpdateTenant(ctx context.Context, account string, req api.UpdateTenantRequest) (api.Tenant, error) {
	return callFor[api.Tenant](ctx, c, call{method: http.MethodPatch, path: api.PathTenant, body: req}, account)
}

// DeleteTenant starts deleting a tenant (operator): its keys stop working
// at once, its queues and messages are removed in the background.
func (c *Client) DeleteTenant(ctx context.Context, account string) (api.TenantDeletion, error) {
	return callFor[api.TenantDeletion](ctx, c, call{method: http.MethodDelete, path: api.PathTenant}, account)
}

// SuspendTenant refuses the tenant's SQS calls until ResumeTenant
// (operator); nothing is deleted.
func (c *Client) SuspendTenant(ctx context.Context, account string) (api.Tenant, error) {
	return callFor[api.Tenant](ctx, c, call{method: http.MethodPost, path: api.PathTenantSuspend}, account)
}

// ResumeTenant serves a suspended tenant's SQS calls again (operator).
func (c *Client) ResumeTenant(ctx context.Context, account string) (api.Tenant, error) {
	return callFor[api.Tenant](ctx, c, call{method: http.MethodPost, path: api.PathTenantResume}, account)
}
