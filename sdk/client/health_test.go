package client_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/sdk/client"
)

// newServer starts an httptest server whose handler is h and returns a
// client for it built with opts.
func newServer(t *testing.T, h http.HandlerFunc, opts ...client.Option) *client.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := client.New(srv.URL+"/", opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func TestHealthDecodesResponse(t *testing.T) {
	c := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/healthz" {
			t.Errorf("got %s %s, want GET /healthz", r.Method, r.URL.Path)
		}
		if got := r.Header.Get("Authorization"); got != "" {
			t.Errorf("Authorization = %q, want none without WithToken", got)
		}
		if got := r.Header.Get("User-Agent"); got != client.DefaultUserAgent {
			t.Errorf("User-Agent = %q, want %q", got, client.DefaultUserAgent)
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"ok","version":"1.2.3"}`)
	})

	h, err := c.Health(context.Background())
	if err != nil {
		t.Fatalf("Health: %v", err)
	}
	want := client.Health{Status: "ok", Version: "1.2.3"}
	if h != want {
		t.Errorf("Health = %+v, want %+v", h, want)
	}
}

func TestHealthSendsTokenAndUserAgent(t *testing.T) {
	var gotAuth, gotUA string
	c := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		gotAuth = r.Header.Get("Authorization")
		gotUA = r.Header.Get("User-Agent")
		io.WriteString(w, `{"status":"ok","version":"dev"}`)
	}, client.WithToken("header.payload.sig"), client.WithUserAgent("terraform-provider-sluice/test"))

	if _, err := c.Health(context.Background()); err != nil {
		t.Fatalf("Health: %v", err)
	}
	if gotAuth != "Bearer header.payload.sig" {
		t.Errorf("Authorization = %q, want %q", gotAuth, "Bearer header.payload.sig")
	}
	if gotUA != "terraform-provider-sluice/test" {
		t.Errorf("User-Agent = %q, want %q", gotUA, "terraform-provider-sluice/test")
	}
}

func TestHealthKeepsEndpointPathPrefix(t *testing.T) {
	var gotPath string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath = r.URL.Path
		io.WriteString(w, `{"status":"ok","version":"dev"}`)
	}))
	t.Cleanup(srv.Close)
	c, err := client.New(srv.URL + "/sluice/")
	if err != nil {
		t.Fatalf("New: %v", err)
	}

	if _, err := c.Health(context.Background()); err != nil {
		t.Fatalf("Health: %v", err)
	}
	if gotPath != "/sluice/healthz" {
		t.Errorf("path = %q, want /sluice/healthz", gotPath)
	}
}

func TestHealthReturnsAPIErrorFromJSONBody(t *testing.T) {
	c := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, `{"error":{"code":"internal","message":"metadata store unavailable"}}`)
	})

	_, err := c.Health(context.Background())
	var apiErr *client.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("Health error = %v (%T), want *client.Error", err, err)
	}
	want := client.Error{StatusCode: 500, Code: "internal", Message: "metadata store unavailable"}
	if *apiErr != want {
		t.Errorf("Error = %+v, want %+v", *apiErr, want)
	}
	for _, part := range []string{"health check", "/healthz", "500", "internal", "metadata store unavailable"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q does not mention %q", err, part)
		}
	}
}

func TestHealthReturnsAPIErrorFromNonJSONBody(t *testing.T) {
	c := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, "<html><body>upstream down</body></html>")
	})

	_, err := c.Health(context.Background())
	var apiErr *client.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("Health error = %v (%T), want *client.Error", err, err)
	}
	want := client.Error{StatusCode: 502, Message: "Bad Gateway"}
	if *apiErr != want {
		t.Errorf("Error = %+v, want %+v", *apiErr, want)
	}
}

func TestHealthRejectsMalformedSuccessBody(t *testing.T) {
	c := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "not json")
	})

	_, err := c.Health(context.Background())
	if err == nil || !strings.Contains(err.Error(), "decode response") {
		t.Fatalf("Health error = %v, want a decode error", err)
	}
	var apiErr *client.Error
	if errors.As(err, &apiErr) {
		t.Errorf("a 200 with a bad body must not be an APIError, got %+v", apiErr)
	}
}

func TestHealthHonorsContextCancellation(t *testing.T) {
	requested := make(chan struct{})
	c := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		close(requested)
		// Hold the response until the client gives up.
		<-r.Context().Done()
	})

	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-requested
		cancel()
	}()

	start := time.Now()
	_, err := c.Health(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Health error = %v, want context.Canceled", err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("Health took %v after cancellation", elapsed)
	}
}

func TestHealthReportsUnreachableServer(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	endpoint := srv.URL
	srv.Close() // nothing listens on this address any more

	c, err := client.New(endpoint)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	_, err = c.Health(context.Background())
	if err == nil {
		t.Fatal("Health succeeded against a closed server")
	}
	if !strings.Contains(err.Error(), endpoint+"/healthz") {
		t.Errorf("error %q does not name the URL %s/healthz", err, endpoint)
	}
}

// newRawServer starts an httptest server for h.
func newRawServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}
