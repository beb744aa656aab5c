package client

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultUserAgent is sent when no WithUserAgent option is given.
const DefaultUserAgent = "sluice-sdk-go"

// defaultTimeout bounds every request made through the default HTTP client,
// so a hung server cannot block a caller whose context has no deadline.
const defaultTimeout = 30 * time.Second

// Client calls a Sluice server. It is safe for concurrent use.
type Client struct {
	endpoint   string // scheme://host[/prefix], no trailing slash
	httpClient *http.Client
	token      string
	userAgent  string
	retry      RetryPolicy
	// lookupEnv, when set (FromEnvironment, WithEnvironment), fills an
	// empty endpoint or token.
	lookupEnv func(string) (string, bool)
}

// Option configures a Client in New.
type Option func(*Client) error

// WithHTTPClient makes the Client send requests through hc, e.g. to set a
// custom transport, TLS configuration or timeout.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return errors.New("http client must not be nil")
		}
		c.httpClient = hc
		return nil
	}
}

// WithToken sets the bearer token (a JWT) sent as "Authorization: Bearer
// <token>" on every request. An empty token sends no Authorization header,
// which lets callers pass an optional setting straight through.
func WithToken(token string) Option {
	return func(c *Client) error {
		c.token = token
		return nil
	}
}

// WithUserAgent sets the User-Agent header sent on every request.
func WithUserAgent(userAgent string) Option {
	return func(c *Client) error {
		if strings.TrimSpace(userAgent) == "" {
			return errors.New("user agent must not be empty")
		}
		c.userAgent = userAgent
		return nil
	}
}

// New returns a Client for the server at endpoint, an absolute http or https
// URL such as "https://sluice.example.com" or "http://localhost:8080/sluice".
// A trailing slash is ignored. With [FromEnvironment] an empty endpoint is
// read from SLUICE_ENDPOINT and a missing token from SLUICE_TOKEN.
func New(endpoint string, opts ...Option) (*Client, error) {
	c := &Client{
		httpClient: &http.Client{Timeout: defaultTimeout},
		userAgent:  DefaultUserAgent,
		retry:      DefaultRetryPolicy(),
	}
	for _, opt := range opts {
		if err := opt(c); err != nil {
			return nil, fmt.Errorf("sluice client: %w", err)
		}
	}
	endpoint, c.token = c.fromEnvironment(endpoint, c.token)
	normalized, err := normalizeEndpoint(endpoint)
	if err != nil && c.lookupEnv != nil && endpoint == "" {
		return nil, fmt.Errorf("sluice client: %w (pass one or set %s)", err, EnvEndpoint)
	}
	if err != nil {
		return nil, fmt.Errorf("sluice client: %w", err)
	}
	c.endpoint = normalized
	return c, nil
}

// Endpoint returns the normalized base URL requests are sent to.
func (c *Client) Endpoint() string {
	return c.endpoint
}

// normalizeEndpoint checks that raw is a usable base URL and strips trailing
// slashes so API paths can be appended with a single "/".
func normalizeEndpoint(raw string) (string, error) {
	if strings.TrimSpace(raw) == "" {
		return "", errors.New("endpoint must not be empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("invalid endpoint %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("invalid endpoint %q: scheme must be http or https", raw)
	}
	// Credentials belong in WithToken; a user:password in the URL would also
	// end up in error messages.
	if u.User != nil {
		return "", errors.New("invalid endpoint: must not contain user info; use WithToken")
	}
	if u.Host == "" {
		return "", fmt.Errorf("invalid endpoint %q: host is missing", raw)
	}
	// Query strings and fragments would be silently mangled when API paths
	// are appended, so refuse them instead.
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return "", fmt.Errorf("invalid endpoint %q: must not contain a query or fragment", raw)
	}
	return strings.TrimRight(u.String(), "/"), nil
}
