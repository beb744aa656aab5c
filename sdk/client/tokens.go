package client

import (
	"context"
	"net/http"

	"github.com/sluice-mq/sluice/sdk/api"
)

// CreateToken mints a tenant-admin token for the tenant (operator). Keep
// its ID to revoke it.
func (c *Client) CreateToken(ctx context.Context, account string, req api.CreateTokenRequest) (api.Token, error) {
	var t api.Token
	p, err := path(api.PathTenantTokens, account)
	if err != nil {
		return t, err
	}
	err = c.do(ctx, call{method: http.MethodPost, path: p, body: req}, &t)
	return t, err
}

// RevokeToken revokes a token, given whole or (operators) by id; every
// node refuses it within seconds. Revoking again changes nothing.
func (c *Client) RevokeToken(ctx context.Context, req api.RevokeTokenRequest) (api.Revocation, error) {
	var r api.Revocation
	err := c.do(ctx, call{method: http.MethodPost, path: api.PathRevokeToken, body: req}, &r)
	return r, err
}
