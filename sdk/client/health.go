package client

import (
	"context"
	"fmt"
)

// Health is the server's answer to a health check.
type Health struct {
	// Status is "ok" when the server is serving.
	Status string `json:"status"`
	// Version is the server's build version.
	Version string `json:"version"`
}

// Health calls GET /healthz. It returns an error when the server cannot be
// reached or answers with a non-2xx status (as *APIError).
func (c *Client) Health(ctx context.Context) (Health, error) {
	var h Health
	if err := c.getJSON(ctx, "/healthz", &h); err != nil {
		return Health{}, fmt.Errorf("sluice health check: %w", err)
	}
	return h, nil
}
