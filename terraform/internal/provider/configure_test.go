package provider

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/sluice-mq/sluice/sdk/api"
)

// newHealthServer answers /healthz like `sluice dev` and records the
// Authorization header of the last request.
func newHealthServer(t *testing.T, version string) (url string, lastAuth func() string) {
	t.Helper()
	auth := make(chan string, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		auth <- r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"ok","version":"`+version+`"}`)
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
