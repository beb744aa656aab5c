//go:build sluice_mocktikv

package main

import (
	"context"
	"net/http"
	"regexp"
	"testing"
	"time"
)

var listenLog = regexp.MustCompile(`"msg":"sluice serve started".*"listen":"([^"]+)"`)

// `sluice serve --role billing` needs only the store: no master key, no
// JWT key, no S3. It serves /healthz and stops cleanly.
func TestBillingRoleStartsOnTheStoreAlone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--role", "billing", "--pd", mockPD, "--listen", "127.0.0.1:0"}, &stdout, &stderr, noEnv)
	}()
	deadline := time.Now().Add(15 * time.Second)
	var addr string
	for addr == "" && time.Now().Before(deadline) {
		select {
		case code := <-done:
			t.Fatalf("exited %d: %s", code, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if m := listenLog.FindStringSubmatch(stderr.String()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatalf("no listen address logged: %s", stderr.String())
	}
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %d", resp.StatusCode)
	}
	// No SQS and no control plane on a billing node.
	if resp, err := http.Get("http://" + addr + "/v1/plans"); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("/v1/plans on a billing node: %d, want 404", resp.StatusCode)
		}
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d after shutdown: %s", code, stderr.String())
	}
}
