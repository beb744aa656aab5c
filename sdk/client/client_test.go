package client_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/sluice-mq/sluice/sdk/client"
)

func TestNewNormalizesEndpoint(t *testing.T) {
	tests := map[string]string{
		"http://localhost:8080":         "http://localhost:8080",
		"http://localhost:8080/":        "http://localhost:8080",
		"https://sluice.example.com//":  "https://sluice.example.com",
		"HTTPS://sluice.example.com":    "https://sluice.example.com",
		"http://127.0.0.1:9000/sluice/": "http://127.0.0.1:9000/sluice",
		"http://[::1]:8080":             "http://[::1]:8080",
	}
	for endpoint, want := range tests {
		t.Run(endpoint, func(t *testing.T) {
			c, err := client.New(endpoint)
			if err != nil {
				t.Fatalf("New(%q): %v", endpoint, err)
			}
			if got := c.Endpoint(); got != want {
				t.Errorf("Endpoint() = %q, want %q", got, want)
			}
		})
	}
}

func TestNewRejectsBadEndpoints(t *testing.T) {
	tests := []struct {
		name, endpoint, wantErr string
	}{
		{"empty", "", "must not be empty"},
		{"blank", "   ", "must not be empty"},
		{"no scheme", "localhost:8080", "scheme must be http or https"},
		{"ftp scheme", "ftp://example.com", "scheme must be http or https"},
		{"scheme relative", "//example.com", "scheme must be http or https"},
		{"no host", "http://", "host is missing"},
		{"path only", "http:///healthz", "host is missing"},
		{"query", "http://example.com?x=1", "query or fragment"},
		{"fragment", "http://example.com#frag", "query or fragment"},
		{"user info", "http://user:pw@example.com", "user info"},
		{"space in host", "http://exa mple.com", "invalid endpoint"},
		{"bad port", "http://example.com:port", "invalid endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := client.New(tt.endpoint)
			if err == nil {
				t.Fatalf("New(%q) = %v, want error containing %q", tt.endpoint, c.Endpoint(), tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("New(%q) error = %q, want it to contain %q", tt.endpoint, err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "pw") {
				t.Errorf("New(%q) error leaks the password: %q", tt.endpoint, err)
			}
		})
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	tests := map[string]client.Option{
		"nil http client":  client.WithHTTPClient(nil),
		"empty user agent": client.WithUserAgent(" "),
	}
	for name, opt := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := client.New("http://localhost", opt); err == nil {
				t.Fatal("New succeeded, want error")
			}
		})
	}
}

func TestNewAcceptsOptions(t *testing.T) {
	_, err := client.New("http://localhost",
		client.WithHTTPClient(&http.Client{}),
		client.WithToken("jwt"),
		client.WithUserAgent("test/1.0"),
	)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
}
