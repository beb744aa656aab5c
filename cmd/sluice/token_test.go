package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runCmd runs one sluice command in-process and returns its exit code,
// stdout and stderr.
func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	code := run(ctx, args, &stdout, &stderr, noEnv)
	return code, stdout.String(), stderr.String()
}

// restStatus sends GET path with a bearer token and returns the status.
func restStatus(t *testing.T, endpoint, token, path string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, endpoint+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// tokenID reads a token's jti without verifying it.
func tokenID(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q has %d parts", token, len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct{ Jti string }
	if err := json.Unmarshal(payload, &claims); err != nil || claims.Jti == "" {
		t.Fatalf("token payload %s: no jti (%v)", payload, err)
	}
	return claims.Jti
}

// `sluice token revoke` revokes, through a running control plane, a token
// `sluice token create` minted, given whole or by its id.
func TestTokenRevoke(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	endpoint, stop := startDev(t, "--data", data, "--listen", "127.0.0.1:0")
	defer stop()
	mint := func() string {
		t.Helper()
		code, out, errOut := runCmd(t, "token", "create", "--data", data, "--role", "operator", "--ttl", "1h")
		if code != 0 {
			t.Fatalf("token create: exit %d: %s", code, errOut)
		}
		return strings.TrimSpace(out)
	}
	whole, byID := mint(), mint()
	for _, tok := range []string{whole, byID} {
		if s := restStatus(t, endpoint, tok, "/v1/tenants"); s != 200 {
			t.Fatalf("fresh token: status %d", s)
		}
	}

	code, out, errOut := runCmd(t, "token", "revoke", "--endpoint", endpoint, "--data", data, "--token", whole)
	if code != 0 || !strings.Contains(out, tokenID(t, whole)) {
		t.Fatalf("revoke --token: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	exp := time.Now().Add(2 * time.Hour).UTC().Format(time.RFC3339)
	code, out, errOut = runCmd(t, "token", "revoke", "--endpoint", endpoint+"/", "--data", data, "--id", tokenID(t, byID), "--expires-at", exp)
	if code != 0 || !strings.Contains(out, exp) {
		t.Fatalf("revoke --id: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	for _, tok := range []string{whole, byID} {
		if s := restStatus(t, endpoint, tok, "/v1/tenants"); s != 401 {
			t.Fatalf("revoked token: status %d, want 401", s)
		}
	}
	if s := restStatus(t, endpoint, mint(), "/v1/tenants"); s != 200 {
		t.Fatalf("a new token after the revocations: status %d", s)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--data", data}, "--token"},
		{[]string{"--data", data, "--token", whole, "--id", "X"}, "--token"},
		{[]string{"--data", data, "--token", whole, "--expires-at", exp}, "--expires-at"},
		{[]string{"--data", data, "--id", tokenID(t, whole), "--expires-at", "tomorrow"}, "--expires-at"},
		{[]string{"--data", data, "--endpoint", "ftp://x", "--token", whole}, "--endpoint"},
		{[]string{"--data", filepath.Join(data, "nokey"), "--token", whole}, "--jwt-key"},
		{[]string{"--data", data, "--endpoint", endpoint, "--token", "garbage"}, "InvalidInput"},
		{[]string{"--data", data, "--endpoint", endpoint, "--id", "short"}, "InvalidInput"},
	} {
		code, _, errOut := runCmd(t, append([]string{"token", "revoke"}, tc.args...)...)
		if code != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("token revoke %v: exit %d, stderr %q, want it to mention %q", tc.args, code, errOut, tc.want)
		}
	}
	if code, _, errOut := runCmd(t, "token", "frobnicate"); code != 1 || !strings.Contains(errOut, "token revoke") {
		t.Errorf("unknown token command: exit %d, stderr %q", code, errOut)
	}
}
