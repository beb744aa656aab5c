// Package slowproxy is an HTTP reverse proxy that holds every request for
// a delay before passing it on, for tests of a slow server (an S3 that
// answers seconds late). It leaves the Host header as the client sent it,
// so requests signed for the proxy's address (SigV4) still verify.
package slowproxy

import (
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Proxy forwards to one server after its delay.
type Proxy struct {
	// Endpoint is the proxy's host:port, plain HTTP.
	Endpoint string
	delay    atomic.Int64 // nanoseconds

	mu      sync.Mutex
	delayed map[string]int // requests held, by method
}

// Start starts a proxy to target (host:port, plain HTTP) with no delay; it
// stops when the test ends.
func Start(tb testing.TB, target string) *Proxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("slowproxy: listen: %v", err)
	}
	p := &Proxy{Endpoint: ln.Addr().String(), delayed: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: target})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d := time.Duration(p.delay.Load()); d > 0 {
			p.mu.Lock()
			p.delayed[r.Method]++
			p.mu.Unlock()
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return // the client gave up
			}
		}
		rp.ServeHTTP(w, r)
	})}
	go func() { _ = srv.Serve(ln) }()
	tb.Cleanup(func() { _ = srv.Close() })
	return p
}

// SetDelay sets how long each request waits before it is passed on.
func (p *Proxy) SetDelay(d time.Duration) { p.delay.Store(int64(d)) }

// Delayed counts the requests held so far, by method (GET, PUT, …).
func (p *Proxy) Delayed() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.delayed)
}
