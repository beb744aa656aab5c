package provider

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/sluice-mq/sluice/sdk/api"
)

// newHealthServer answers /healthz like `sluice dev`, and the first page
// of tenants (the operator's credential check), and records the
// Authorization header of the last request.
func newHealthServer(t *testing.T, version string) (url string, lastAuth func() string) {
	t.Helper()
	auth := make(chan string, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/healthz":
			io.WriteString(w, `{"status":"ok","version":"`+version+`"}`)
		case "/v1/tenants":
			io.WriteString(w, `{"tenants":[]}`)
		default:
			http.NotFound(w, r)
			return
		}
		auth <- r.Header.Get("Authorization")
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() string {
		var last string
		for {
			select {
			case last = <-auth:
			default:
				return last
			}
		}
	}
}

// closedEndpoint returns a URL nothing listens on.
func closedEndpoint(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	return srv.URL
}

func TestConfigureRequiresEndpoint(t *testing.T) {
	server := newProtocolServer(t, nil)
	diags := configure(t.Context(), t, server, nil)

	d := requireError(t, diags, "endpoint", EnvEndpoint)
	if want := tftypes.NewAttributePath().WithAttributeName("endpoint"); !d.Attribute.Equal(want) {
		t.Errorf("diagnostic attribute = %v, want %v", d.Attribute, want)
	}
}

func TestConfigureRejectsInvalidEndpoint(t *testing.T) {
	server := newProtocolServer(t, nil)
	diags := configure(t.Context(), t, server, map[string]*string{"endpoint": ptr("localhost:8080")})

	requireError(t, diags, "Invalid Sluice endpoint", "scheme must be http or https")
}

func TestConfigureReportsUnreachableEndpoint(t *testing.T) {
	endpoint := closedEndpoint(t)
	server := newProtocolServer(t, nil)
	diags := configure(t.Context(), t, server, map[string]*string{"endpoint": ptr(endpoint)})

	requireError(t, diags, "Cannot reach Sluice server", endpoint, EnvEndpoint)
}

func TestConfigureReportsAuthFailureWithTokenHint(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(api.Error{Error: api.ErrorDetail{Code: api.CodeInvalidToken, Message: "token expired"}})
	}))
	t.Cleanup(srv.Close)
	server := newProtocolServer(t, nil)
	diags := configure(t.Context(), t, server, map[string]*string{"endpoint": ptr(srv.URL)})

	requireError(t, diags, "token expired", EnvToken)
}

func TestConfigureFallsBackToEnvironment(t *testing.T) {
	endpoint, lastAuth := newHealthServer(t, "1.0.0")
	server := newProtocolServer(t, map[string]string{EnvEndpoint: endpoint, EnvToken: "env-jwt"})
	requireNoErrors(t, configure(t.Context(), t, server, nil))

	if got := lastAuth(); got != "Bearer env-jwt" {
		t.Errorf("Authorization = %q, want the token from %s", got, EnvToken)
	}
}

func TestConfigurePrefersAttributesOverEnvironment(t *testing.T) {
	endpoint, lastAuth := newHealthServer(t, "1.0.0")
	server := newProtocolServer(t, map[string]string{EnvEndpoint: closedEndpoint(t), EnvToken: "env-jwt"})
	diags := configure(t.Context(), t, server, map[string]*string{
		"endpoint": ptr(endpoint),
		"token":    ptr("config-jwt"),
	})
	requireNoErrors(t, diags)

	if got := lastAuth(); got != "Bearer config-jwt" {
		t.Errorf("Authorization = %q, want the token from the provider block", got)
	}
}

// newAuthServer answers /healthz, and every other route with status and
// an error of code.
func newAuthServer(t *testing.T, status int, code string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/healthz" {
			io.WriteString(w, `{"status":"ok","version":"1"}`)
			return
		}
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(api.Error{Error: api.ErrorDetail{Code: code, Message: "refused " + r.URL.Path}})
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestConfigureReportsBadToken(t *testing.T) {
	endpoint := newAuthServer(t, http.StatusUnauthorized, api.CodeInvalidToken)
	server := newProtocolServer(t, nil)
	diags := configure(t.Context(), t, server, map[string]*string{"endpoint": ptr(endpoint), "token": ptr("stale")})

	requireError(t, diags, "Invalid Sluice token", EnvToken, "refused /v1/tenants")
}

func TestConfigureReportsForbiddenAccount(t *testing.T) {
	endpoint := newAuthServer(t, http.StatusForbidden, "Forbidden")
	server := newProtocolServer(t, nil)
	diags := configure(t.Context(), t, server, map[string]*string{"endpoint": ptr(endpoint), "account": ptr("111122223333")})

	d := requireError(t, diags, "Forbidden Sluice account", "111122223333", EnvAccount)
	if want := tftypes.NewAttributePath().WithAttributeName("account"); !d.Attribute.Equal(want) {
		t.Errorf("diagnostic attribute = %v, want %v", d.Attribute, want)
	}
}

func TestConfigureAsksForAccountWithoutOperatorToken(t *testing.T) {
	endpoint := newAuthServer(t, http.StatusForbidden, "Forbidden")
	server := newProtocolServer(t, nil)
	diags := configure(t.Context(), t, server, map[string]*string{"endpoint": ptr(endpoint)})

	requireError(t, diags, "Missing Sluice account", EnvAccount)
}

func TestConfigureReportsUnknownAccount(t *testing.T) {
	endpoint := newAuthServer(t, http.StatusNotFound, "TenantNotFound")
	server := newProtocolServer(t, nil)
	diags := configure(t.Context(), t, server, map[string]*string{"endpoint": ptr(endpoint), "account": ptr("111122223333")})

	requireError(t, diags, "Unknown Sluice account", "111122223333")
}

func TestTokenAccountReadsTenantAdminClaim(t *testing.T) {
	enc := func(payload string) string {
		return "eyJhbGciOiJIUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".sig"
	}
	for _, tc := range []struct{ token, want string }{
		{enc(`{"role":"tenant-admin","tenant":"123456789012"}`), "123456789012"},
		{enc(`{"role":"operator"}`), ""},
		{"not-a-jwt", ""},
		{"a.!!!.c", ""},
	} {
		if got := tokenAccount(tc.token); got != tc.want {
			t.Errorf("tokenAccount(%q) = %q, want %q", tc.token, got, tc.want)
		}
	}
}
