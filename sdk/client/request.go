package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sluice-mq/sluice/sdk/api"
)

// maxErrorBodyBytes caps how much of an error response is read: enough for
// any JSON error the server sends, small enough that a misbehaving proxy
// cannot make the client buffer a huge page.
const maxErrorBodyBytes = 64 << 10

// call is one API request.
type call struct {
	method string
	path   string     // expanded, e.g. /v1/tenants/123456789012
	query  url.Values // may be nil
	body   any        // encoded as JSON when not nil
	accept string     // "" means application/json
	// noRetry sends the request once whatever the answer (health checks,
	// whose 503 is an answer, not a refusal).
	noRetry bool
}

// do sends r, retrying under the client's RetryPolicy, and decodes a 2xx
// JSON reply into out (unless out is nil). Non-2xx replies are *Error.
func (c *Client) do(ctx context.Context, r call, out any) error {
	raw, err := c.send(ctx, r)
	if err != nil || out == nil {
		return err
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s %s: decode response: %w", r.method, r.path, err)
	}
	return nil
}

// send is do without decoding: it returns the 2xx reply's body.
func (c *Client) send(ctx context.Context, r call) ([]byte, error) {
	var body []byte
	if r.body != nil {
		// Encoded once so every attempt sends the same bytes.
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, fmt.Errorf("%s %s: encode request: %w", r.method, r.path, err)
		}
		body = b
	}
	attempts := c.retry.MaxAttempts
	if r.noRetry {
		attempts = 1
	}
	for attempt := 1; ; attempt++ {
		reply, retryAfter, err := c.attempt(ctx, r, body)
		if err == nil {
			return reply, nil
		}
		apiErr, ok := err.(*Error)
		if !ok {
			// The *url.Error of a transport failure already names the
			// method and URL.
			return nil, err
		}
		err = fmt.Errorf("%s %s: %w", r.method, r.path, apiErr)
		if !retryable(apiErr.StatusCode) || attempt >= attempts {
			return nil, err
		}
		wait, ok := c.retry.delay(attempt, retryAfter)
		if !ok {
			return nil, err
		}
		if werr := sleep(ctx, wait); werr != nil {
			return nil, fmt.Errorf("%w (gave up waiting to retry: %w)", err, werr)
		}
	}
}

// attempt sends r once. A non-2xx reply is returned as a bare *Error, with
// its Retry-After.
func (c *Client) attempt(ctx context.Context, r call, body []byte) ([]byte, time.Duration, error) {
	u := c.endpoint + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, rd)
	if err != nil {
		return nil, 0, fmt.Errorf("build %s %s request: %w", r.method, r.path, err)
	}
	accept := r.accept
	if accept == "" {
		accept = "application/json"
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}

	resp, err := c.httpClient.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBodyBytes))
		if err != nil {
			return nil, 0, fmt.Errorf("%s %s: read HTTP %d response: %w", r.method, r.path, resp.StatusCode, err)
		}
		return nil, parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()), newError(resp.StatusCode, b)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, 0, fmt.Errorf("%s %s: read response: %w", r.method, r.path, err)
	}
	return b, 0, nil
}

// path expands an api path template, refusing empty parameters: an empty
// account or queue name would address another route (/v1/tenants/ is
// not a tenant).
func path(template string, params ...string) (string, error) {
	rest := template
	for _, p := range params {
		open := strings.IndexByte(rest, '{')
		end := strings.IndexByte(rest, '}')
		if open < 0 || end < open {
			break
		}
		if p == "" || p == "." || p == ".." {
			return "", fmt.Errorf("%s must not be %q", rest[open+1:end], p)
		}
		rest = rest[end+1:]
	}
	return api.Expand(template, params...), nil
}

// callFor expands r.path, a template, with params, sends r and decodes the
// reply into a T.
func callFor[T any](ctx context.Context, c *Client, r call, params ...string) (T, error) {
	var out T
	p, err := path(r.path, params...)
	if err != nil {
		return out, err
	}
	r.path = p
	err = c.do(ctx, r, &out)
	return out, err
}

// callNoReply is callFor for routes that answer no body (204).
func callNoReply(ctx context.Context, c *Client, r call, params ...string) error {
	p, err := path(r.path, params...)
	if err != nil {
		return err
	}
	r.path = p
	return c.do(ctx, r, nil)
}
