package client

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/sluice-mq/sluice/sdk/api"
)

// OpenAPI reads the OpenAPI 3 document the server serves for its control
// plane (no token needed).
func (c *Client) OpenAPI(ctx context.Context) (json.RawMessage, error) {
	return callFor[json.RawMessage](ctx, c, call{method: http.MethodGet, path: api.PathOpenAPI})
}
