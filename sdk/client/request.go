package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// maxErrorBodyBytes caps how much of an error response is read: enough for
// any JSON error the server sends, small enough that a misbehaving proxy
// cannot make the client buffer a huge page.
const maxErrorBodyBytes = 64 << 10

// getJSON sends GET {endpoint}{path} and decodes a 2xx JSON response into
// out. Non-2xx responses are returned as *APIError.
func (c *Client) getJSON(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoint+path, nil)
	if err != nil {
		return fmt.Errorf("build GET %s request: %w", path, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}

	resp, err := c.httpClient.Do(req)
	if err != nil {
		// The *url.Error already names the method and URL.
		return err
	}
	defer resp.Body.Close()

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBodyBytes))
		if err != nil {
			return fmt.Errorf("GET %s: read HTTP %d response: %w", path, resp.StatusCode, err)
		}
		return fmt.Errorf("GET %s: %w", path, newAPIError(resp.StatusCode, body))
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("GET %s: decode response: %w", path, err)
	}
	return nil
}
