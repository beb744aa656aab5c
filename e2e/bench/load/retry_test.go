package load

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// failFirstTries answers every n-th distinct request with a retryable
// 500 and passes the rest, and every retry, to next. A retry repeats its
// request's body, so no call fails on every attempt.
func failFirstTries(n int, next http.Handler) http.Handler {
	var mu sync.Mutex
	seen := map[string]bool{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		key := r.Header.Get("X-Amz-Target") + string(body)
		mu.Lock()
		fail := !seen[key] && len(seen)%n == n-1
		seen[key] = true
		mu.Unlock()
		if fail {
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, `{"__type":"com.amazonaws.sqs#InternalError","message":"injected"}`)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

// Retried calls succeed, so the run is clean, but the retries show.
func TestRetriesAreCounted(t *testing.T) {
	cfg, srv, err := StartNullServer(smallConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	flaky := httptest.NewServer(failFirstTries(10, srv))
	defer flaky.Close()
	cfg.Endpoint = flaky.URL
	cfg.Messages = 300
	cfg.maxRetryBackoff = 5 * time.Millisecond

	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("%v: %+v %+v", err, res, srv.Stats())
	}
	if res.Retries == 0 || res.Errors != 0 || res.Missing != 0 {
		t.Fatalf("flaky run: %d retries, %d errors, %d missing; want retries only: %q", res.Retries, res.Errors, res.Missing, res.ErrorSamples)
	}
}

// A server that accepts nothing is an error, not an empty result.
func TestRunFailsWhenNothingIsAccepted(t *testing.T) {
	cfg, srv, err := StartNullServer(smallConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	refuseSends := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".SendMessageBatch") {
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, `{"__type":"com.amazonaws.sqs#AccessDenied","message":"no"}`)
			return
		}
		srv.ServeHTTP(w, r)
	})
	refusing := httptest.NewServer(refuseSends)
	defer refusing.Close()
	cfg.Endpoint = refusing.URL
	cfg.Messages = 50

	res, err := Run(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Fatalf("Run: %v, want an error naming AccessDenied", err)
	}
	if res.SendFailed != 50 || res.Sent != 0 {
		t.Fatalf("refused run: %+v", res)
	}
}
