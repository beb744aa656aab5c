package client_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/sluice-mq/sluice/sdk/api"
)

func TestEmptyPathParametersAreRefusedBeforeSending(t *testing.T) {
	c := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request sent: %s %s", r.Method, r.URL)
	})
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"account": func() error { _, err := c.GetTenant(ctx, ""); return err },
		"key":     func() error { return c.DeleteAccessKey(ctx, "123456789012", "") },
		"queue":   func() error { _, err := c.GetQueue(ctx, "123456789012", ".."); return err },
	} {
		if err := call(); err == nil || !strings.Contains(err.Error(), name+" must not be") {
			t.Errorf("%s: error %v", name, err)
		}
	}
}

func TestPathParametersAreEscaped(t *testing.T) {
	var got string
	c := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.EscapedPath()
		w.Write([]byte(`{}`))
	})
	if _, err := c.UpdateAccessKey(context.Background(), "123456789012", "a/b c", api.UpdateAccessKeyRequest{Status: api.KeyInactive}); err != nil {
		t.Fatal(err)
	}
	if want := "/v1/tenants/123456789012/keys/a%2Fb%20c"; got != want {
		t.Errorf("path %q, want %q", got, want)
	}
}
