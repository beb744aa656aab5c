package api_test

import (
	"encoding/json"
	"testing"

	"github.com/sluice-mq/sluice/sdk/api"
)

func TestExpand(t *testing.T) {
	tests := []struct {
		template string
		params   []string
		want     string
	}{
		{api.PathTenants, nil, "/v1/tenants"},
		{api.PathTenant, []string{"123456789012"}, "/v1/tenants/123456789012"},
		{api.PathQueue, []string{"123456789012", "orders"}, "/v1/tenants/123456789012/queues/orders"},
		{api.PathAccessKey, []string{"123456789012", "a/b c"}, "/v1/tenants/123456789012/keys/a%2Fb%20c"},
		{api.PathQueue, []string{"123456789012"}, "/v1/tenants/123456789012/queues/{queue}"},
	}
	for _, tt := range tests {
		if got := api.Expand(tt.template, tt.params...); got != tt.want {
			t.Errorf("Expand(%q, %q) = %q, want %q", tt.template, tt.params, got, tt.want)
		}
	}
}

// Optional request fields stay out of the JSON.
func TestRequestsOmitUnsetFields(t *testing.T) {
	for _, tt := range []struct {
		in   any
		want string
	}{
		{api.CreateTenantRequest{}, `{"quotas":{}}`},
		{api.UpdateTenantRequest{}, `{}`},
		{api.CreateQueueRequest{Name: "q"}, `{"name":"q"}`},
		{api.UpdateQueueRequest{}, `{}`},
		{api.CreateTokenRequest{}, `{}`},
		{api.RevokeTokenRequest{ID: "x"}, `{"id":"x"}`},
		{api.Error{Error: api.ErrorDetail{Code: api.CodeForbidden, Message: "no"}}, `{"error":{"code":"Forbidden","message":"no"}}`},
	} {
		b, err := json.Marshal(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tt.want {
			t.Errorf("%T: %s, want %s", tt.in, b, tt.want)
		}
	}
}

func TestRoutesAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range api.Routes {
		k := r.Method + " " + r.Path
		if seen[k] {
			t.Errorf("%s twice", k)
		}
		seen[k] = true
	}
}
