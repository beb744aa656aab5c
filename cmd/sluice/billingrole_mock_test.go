//go:build sluice_mocktikv

package main

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/control-plane/jwtauth"
	"github.com/sluice-mq/sluice/sdk/api"
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
		done <- run(ctx, []string{"serve", "--role", "billing", "--pd", mockPD, "--listen", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0"}, &stdout, &stderr, noEnv)
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

// startServe runs `sluice serve` with args on the mock store and returns
// its address; cancel ctx to stop it, then read done for the exit code.
func startServe(t *testing.T, ctx context.Context, args ...string) (addr string, done <-chan int, stderr *syncBuffer) {
	t.Helper()
	stderr = &syncBuffer{}
	exit := make(chan int, 1)
	var stdout syncBuffer
	go func() {
		exit <- run(ctx, append([]string{"serve", "--pd", mockPD, "--listen", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0"}, args...), &stdout, stderr, noEnv)
	}()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case code := <-exit:
			t.Fatalf("exited %d: %s", code, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if m := listenLog.FindStringSubmatch(stderr.String()); m != nil {
			return m[1], exit, stderr
		}
	}
	t.Fatalf("no listen address logged: %s", stderr.String())
	return "", nil, nil
}

// A control-plane-only node meters the REST queue calls it serves (as
// admin requests, like the SQS actions they stand for): they reach the
// tenant's usage within seconds.
func TestControlPlaneRoleMetersQueueCalls(t *testing.T) {
	const secret = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, done, stderr := startServe(t, ctx, "--role", "control-plane", "--master-key", secret, "--jwt-key", secret)
	key, err := jwtauth.ParseKey(secret)
	if err != nil {
		t.Fatal(err)
	}
	token, err := key.Mint(jwtauth.RoleOperator, "", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	call := func(method, path, body string, want int, out any) {
		t.Helper()
		req, _ := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d, want %d", method, path, resp.StatusCode, want)
		}
		if out != nil {
			if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
				t.Fatal(err)
			}
		}
	}
	var tenant api.Tenant
	call("POST", "/v1/tenants", `{"name":"metered"}`, 201, &tenant)
	base := "/v1/tenants/" + tenant.AccountID + "/queues"
	call("POST", base, `{"name":"q1"}`, 201, nil)
	call("GET", base+"/q1", "", 200, nil)
	call("GET", base, "", 200, nil)

	// Three admin requests, standard (q1 and the list, which is on no queue).
	deadline := time.Now().Add(10 * time.Second)
	var got int64
	for time.Now().Before(deadline) {
		var u api.Usage
		call("GET", "/v1/tenants/"+tenant.AccountID+"/usage?groupBy=action", "", 200, &u)
		got = 0
		for _, b := range u.Buckets {
			for _, q := range b.Quantities {
				if q.Meter == "requests" && q.Dimensions["action"] == "admin" {
					got += q.Quantity
				}
			}
		}
		if got == 3 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if got != 3 {
		t.Fatalf("metered %d admin request units on the control-plane node, want 3", got)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d after shutdown: %s", code, stderr.String())
	}
}
