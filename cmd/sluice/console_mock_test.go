//go:build sluice_mocktikv

package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/control-plane/jwtauth"
)

// The control-plane role serves the console, over its own control plane.
func TestControlPlaneRoleServesTheConsole(t *testing.T) {
	const secret = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	key, err := jwtauth.ParseKey(secret)
	if err != nil {
		t.Fatal(err)
	}
	token, err := key.Mint(jwtauth.RoleOperator, "", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	get := func(addr, path string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
		req.AddCookie(&http.Cookie{Name: "sluice_console", Value: token})
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, _, _ := startServe(t, ctx, "--role", "control-plane", "--master-key", secret, "--jwt-key", secret)
	if status, body := get(addr, "/console/tenants"); status != http.StatusOK || !strings.Contains(body, `id="tenants"`) {
		t.Fatalf("control-plane role /console/tenants: %d\n%.1000s", status, body)
	}
	if status, body := get(addr, "/console/a/000000000000/queues"); status != http.StatusNotFound || !strings.Contains(body, "TenantNotFound") {
		t.Fatalf("an unknown account's queues: %d\n%.1000s", status, body)
	}
}
