package client

import (
	"context"
	"net/http"

	"github.com/sluice-mq/sluice/sdk/api"
)

// CreateAccessKey gives the tenant a new SQS access key. The reply holds
// the secret, which cannot be read again.
func (c *Client) CreateAccessKey(ctx context.Context, account string) (api.AccessKey, error) {
	return callFor[api.AccessKey](ctx, c, call{method: http.MethodPost, path: api.PathAccessKeys}, account)
}

// ListAccessKeys reads the tenant's access keys, without their secrets.
func (c *Client) ListAccessKeys(ctx context.Context, account string) ([]api.AccessKey, error) {
	l, err := callFor[api.AccessKeyList](ctx, c, call{method: http.MethodGet, path: api.PathAccessKeys}, account)
	return l.Keys, err
}

// UpdateAccessKey enables or disables an access key.
func (c *Client) UpdateAccessKey(ctx context.Context, account, keyID string, req api.UpdateAccessKeyRequest) (api.AccessKey, error) {
	return callFor[api.AccessKey](ctx, c, call{method: http.MethodPatch, path: api.PathAccessKey, body: req}, account, keyID)
}

// DeleteAccessKey deletes an access key; IsNotFound when there is none.
func (c *Client) DeleteAccessKey(ctx context.Context, account, keyID string) error {
	return callNoReply(ctx, c, call{method: http.MethodDelete, path: api.PathAccessKey}, account, keyID)
}
