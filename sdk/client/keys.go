package client

import (
	"context"
	"net/http"

	"github.com/sluice-mq/sluice/sdk/api"
)

// CreateAccessKey gives the tenant a new SQS access key. The reply holds
// the secret, which cannot be read again.
func (c *Client) CreateAccessKey(ctx context.Context, account string) (api.AccessKey, error) {
	var k api.AccessKey
	p, err := path(api.PathAccessKeys, account)
	if err != nil {
		return k, err
	}
	err = c.do(ctx, call{method: http.MethodPost, path: p}, &k)
	return k, err
}

// ListAccessKeys reads the tenant's access keys, without their secrets.
func (c *Client) ListAccessKeys(ctx context.Context, account string) ([]api.AccessKey, error) {
	var l api.AccessKeyList
	p, err := path(api.PathAccessKeys, account)
	if err != nil {
		return nil, err
	}
	err = c.do(ctx, call{method: http.MethodGet, path: p}, &l)
	return l.Keys, err
}

// UpdateAccessKey enables or disables an access key.
func (c *Client) UpdateAccessKey(ctx context.Context, account, keyID string, req api.UpdateAccessKeyRequest) (api.AccessKey, error) {
	var k api.AccessKey
	p, err := path(api.PathAccessKey, account, keyID)
	if err != nil {
		return k, err
	}
	err = c.do(ctx, call{method: http.MethodPatch, path: p, body: req}, &k)
	return k, err
}

// DeleteAccessKey deletes an access key; IsNotFound when there is none.
func (c *Client) DeleteAccessKey(ctx context.Context, account, keyID string) error {
	p, err := path(api.PathAccessKey, account, keyID)
	if err != nil {
		return err
	}
	return c.do(ctx, call{method: http.MethodDelete, path: p}, nil)
}
