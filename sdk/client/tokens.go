package client

import (
	"context"
	"net/http"

	"github.com/sluice-mq/sluice/sdk/api"
)

// CreateToken mints a tenant-admin token for the tenant (operator). Keep
// its ID to revoke it.
func (c *Client) CreateToken(ctx context.Context, account string, req api.CreateTokenRequest) (api.Token, error) {
	return callFor[api.Token](ctx, c, call{method: http.MethodPost, path: api.PathTenantTokens, body: req}, account)
}

// RevokeToken revokes a token, given whole or (operators) by id; every
// node refuses it within seconds. Revoking again changes nothing.
func (c *Client) RevokeToken(ctx context.Context, req api.RevokeTokenRequest) (api.Revocation, error) {
	return callFor[api.Revocation](ctx, c, call{method: http.MethodPost, path: api.PathRevokeToken, body: req})
}
