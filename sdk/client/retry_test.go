package client_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/sdk/api"
	"github.com/sluice-mq/sluice/sdk/client"
)

// fastRetries keeps the tests quick: five attempts, waits under 5 ms.
var fastRetries = client.WithRetryPolicy(client.RetryPolicy{MaxAttempts: 5, BaseDelay: time.Millisecond, MaxDelay: 4 * time.Millisecond})

// failing answers status (with header h) fails times, then 201 with a
// tenant; it counts attempts and checks every body is the same.
func failing(t *testing.T, status, fails int, h map[string]string) (http.HandlerFunc, *atomic.Int32) {
	var n atomic.Int32
	var first string
	return func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if n.Add(1) == 1 {
			first = string(b)
		} else if string(b) != first {
			t.Errorf("attempt %d sent body %q, first sent %q", n.Load(), b, first)
		}
		if int(n.Load()) <= fails {
			for k, v := range h {
				w.Header().Set(k, v)
			}
			w.WriteHeader(status)
			io.WriteString(w, `{"error":{"code":"Throttled","message":"slow down"}}`)
			return
		}
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"accountId":"123456789012","status":"active"}`)
	}, &n
}

func TestRetriesThrottledAndUnavailable(t *testing.T) {
	for _, status := range []int{429, 503} {
		h, n := failing(t, status, 2, nil)
		c := newServer(t, h, fastRetries)
		tn, err := c.CreateTenant(context.Background(), api.CreateTenantRequest{Name: "retry"})
		if err != nil {
			t.Fatalf("HTTP %d: %v", status, err)
		}
		if n.Load() != 3 || tn.AccountID != "123456789012" {
			t.Errorf("HTTP %d: %d attempts, tenant %+v; want 3 attempts", status, n.Load(), tn)
		}
	}
}

func TestDoesNotRetryOtherStatuses(t *testing.T) {
	for _, status := range []int{400, 404, 409, 500, 502} {
		h, n := failing(t, status, 1, nil)
		c := newServer(t, h, fastRetries)
		_, err := c.CreateTenant(context.Background(), api.CreateTenantRequest{})
		var e *client.Error
		if !errors.As(err, &e) || e.StatusCode != status {
			t.Errorf("HTTP %d: error %v", status, err)
		}
		if n.Load() != 1 {
			t.Errorf("HTTP %d: %d attempts, want 1", status, n.Load())
		}
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	h, n := failing(t, 429, 100, nil)
	c := newServer(t, h, fastRetries)
	_, err := c.CreateTenant(context.Background(), api.CreateTenantRequest{})
	if !client.IsThrottled(err) {
		t.Fatalf("error %v, want throttled", err)
	}
	if n.Load() != 5 {
		t.Errorf("%d attempts, want 5", n.Load())
	}
}

func TestHonoursRetryAfter(t *testing.T) {
	h, n := failing(t, 503, 1, map[string]string{"Retry-After": "1"})
	c := newServer(t, h, client.WithRetryPolicy(client.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Second}))
	start := time.Now()
	if _, err := c.CreateTenant(context.Background(), api.CreateTenantRequest{}); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < time.Second || n.Load() != 2 {
		t.Errorf("retried after %v (%d attempts), want at least Retry-After's 1 s", el, n.Load())
	}
}

func TestRetryAfterBeyondMaxDelayEndsRetries(t *testing.T) {
	h, n := failing(t, 429, 100, map[string]string{"Retry-After": "120"})
	c := newServer(t, h, fastRetries)
	start := time.Now()
	if _, err := c.CreateTenant(context.Background(), api.CreateTenantRequest{}); !client.IsThrottled(err) {
		t.Fatalf("error %v, want throttled", err)
	}
	if n.Load() != 1 || time.Since(start) > time.Second {
		t.Errorf("%d attempts in %v, want one at once", n.Load(), time.Since(start))
	}
}

func TestContextEndsTheWait(t *testing.T) {
	h, n := failing(t, 429, 100, nil)
	c := newServer(t, h, client.WithRetryPolicy(client.RetryPolicy{MaxAttempts: 5, BaseDelay: time.Minute, MaxDelay: time.Minute}))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.CreateTenant(ctx, api.CreateTenantRequest{})
	// The full-jitter wait may be drawn short; a second attempt is fine,
	// waiting a minute is not.
	if time.Since(start) > 5*time.Second {
		t.Fatalf("waited %v past the context", time.Since(start))
	}
	if !client.IsThrottled(err) {
		t.Errorf("error %v does not keep the 429", err)
	}
	if n.Load() < 3 && !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v does not say the context ended", err)
	}
}

func TestHealthDoesNotRetry503(t *testing.T) {
	var n atomic.Int32
	c := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(503)
	}, fastRetries)
	if _, err := c.Health(context.Background()); !errors.Is(err, client.ErrUnavailable) {
		t.Fatalf("Health: %v", err)
	}
	if n.Load() != 1 {
		t.Errorf("%d attempts, want 1", n.Load())
	}
}

func TestRejectsBadRetryPolicies(t *testing.T) {
	for _, p := range []client.RetryPolicy{
		{MaxAttempts: 0},
		{MaxAttempts: 2, BaseDelay: time.Second, MaxDelay: time.Millisecond},
		{MaxAttempts: 2, BaseDelay: -1},
	} {
		if _, err := client.New("http://localhost", client.WithRetryPolicy(p)); err == nil {
			t.Errorf("policy %+v accepted", p)
		}
	}
}

func TestDefaultPolicyRetries(t *testing.T) {
	h, n := failing(t, 429, 1, nil)
	c := newServer(t, h)
	if _, err := c.CreateTenant(context.Background(), api.CreateTenantRequest{}); err != nil || n.Load() != 2 {
		t.Fatalf("%v after %d attempts, want success on the second", err, n.Load())
	}
	if p := client.DefaultRetryPolicy(); p.MaxAttempts != 4 || p.MaxDelay < p.BaseDelay {
		t.Errorf("DefaultRetryPolicy() = %+v", p)
	}
}
