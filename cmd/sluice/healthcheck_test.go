package main

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

func runHC(t *testing.T, getenv func(string) string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr syncBuffer
	code := run(context.Background(), append([]string{"healthcheck"}, args...), &stdout, &stderr, getenv)
	return code, stdout.String(), stderr.String()
}

func TestHealthcheckAgainstDev(t *testing.T) {
	endpoint, stop := startDev(t, "--data", filepath.Join(t.TempDir(), "data"), "--listen", "127.0.0.1:0")
	defer stop()
	if code, out, errOut := runHC(t, noEnv, "--url", endpoint+"/healthz"); code != 0 || !strings.Contains(out, `"status":"ok"`) {
		t.Fatalf("healthcheck --url: exit %d, %q %q", code, out, errOut)
	}
	// Without --url it asks 127.0.0.1 on --listen's port, here from SLUICE_LISTEN
	// as in the container, with the host left out as in ":9324".
	port := endpoint[strings.LastIndex(endpoint, ":")+1:]
	env := func(k string) string {
		if k == "SLUICE_LISTEN" {
			return ":" + port
		}
		return ""
	}
	if code, _, errOut := runHC(t, env); code != 0 {
		t.Fatalf("healthcheck on SLUICE_LISTEN=:%s: exit %d: %s", port, code, errOut)
	}
	if code, _, errOut := runHC(t, noEnv, "--listen", "0.0.0.0:"+port); code != 0 {
		t.Fatalf("healthcheck --listen 0.0.0.0:%s: exit %d: %s", port, code, errOut)
	}
}

func TestHealthcheckFails(t *testing.T) {
	unavailable := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"status":"unavailable","failed":{"kv":"timeout"}}`))
	}))
	defer unavailable.Close()
	code, _, errOut := runHC(t, noEnv, "--url", unavailable.URL+"/healthz")
	if code != 1 || !strings.Contains(errOut, "503") || !strings.Contains(errOut, `"kv":"timeout"`) {
		t.Fatalf("503: exit %d, %q", code, errOut)
	}

	// Nothing listening: a port just closed.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	if code, _, errOut := runHC(t, noEnv, "--listen", addr, "--timeout", "2s"); code != 1 || !strings.Contains(errOut, "refused") {
		t.Fatalf("closed port: exit %d, %q", code, errOut)
	}

	if code, _, _ := runHC(t, noEnv, "--bogus"); code != 2 {
		t.Fatalf("bad flag: exit %d, want 2", code)
	}
	if code, _, errOut := runHC(t, noEnv, "--listen", "nonsense"); code != 1 || !strings.Contains(errOut, "--listen") {
		t.Fatalf("bad --listen: exit %d, %q", code, errOut)
	}
}
