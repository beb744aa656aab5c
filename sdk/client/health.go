package client

import (
	"context"
	"fmt"
	"net/http"
)

// Health is the server's answer to a health check.
type Health struct {
	// Status is "ok" when the server is serving.
	Status string `json:"status"`
	// Version is the server's build version.
	Version string `json:"version"`
}

// Health calls GET /healthz. It returns an error when the server cannot be
// reached or answers with a non-2xx status (as *Error); a 503 is not retried, it is the answer.
func (c *Client) Health(ctx context.Context) (Health, error) {
	var h Health
	if err := c.do(ctx, call{method: http.MethodGet, path: "/healthz", noRetry: true}, &h); err != nil {
		return Health{}, fmt.Errorf("sluice health check: %w", err)
	}
	return h, nil
}
