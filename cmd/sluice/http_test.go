package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// closedAfter reads c until the server closes it and returns how long
// that took from start; it fails the test if c is still open after limit.
func closedAfter(t *testing.T, c net.Conn, start time.Time, limit time.Duration) time.Duration {
	t.Helper()
	c.SetReadDeadline(start.Add(limit))
	if _, err := io.Copy(io.Discard, c); errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("connection still open after %v", limit)
	}
	return time.Since(start)
}

// `sluice dev` applies the --http-* settings: a body that stops short of
// its Content-Length and an idle keep-alive connection are closed after
// the timeouts, and a third connection from one address is refused at a
// cap of 2.
func TestDevHTTPLimits(t *testing.T) {
	endpoint, stop := startDev(t, "--data", filepath.Join(t.TempDir(), "data"), "--listen", "127.0.0.1:0",
		"--http-read-timeout", "2s", "--http-idle-timeout", "2s", "--http-max-conns-per-addr", "2")
	defer stop()
	addr := strings.TrimPrefix(endpoint, "http://")
	dial := func() net.Conn {
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	short := dial()
	defer short.Close()
	start := time.Now()
	fmt.Fprint(short, "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AmazonSQS.ListQueues\r\nContent-Length: 100\r\n\r\n{}")
	d := closedAfter(t, short, start, 6*time.Second)
	t.Logf("short body: connection closed after %v", d.Round(time.Millisecond))
	if d < time.Second || d > 4*time.Second {
		t.Fatalf("short body: connection closed after %v, want about 2s", d)
	}

	idle := dial()
	defer idle.Close()
	idle.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprint(idle, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(idle), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	io.Copy(io.Discard, resp.Body)
	// idle is now one of two connections; one more fits, a third does not.
	second := dial()
	defer second.Close()
	third := dial()
	defer third.Close()
	third.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprint(third, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp, err := http.ReadResponse(bufio.NewReader(third), nil); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("third connection: %v %v, want it closed", resp, err)
	}

	start = time.Now()
	d = closedAfter(t, idle, start, 6*time.Second)
	t.Logf("idle keep-alive connection closed after %v", d.Round(time.Millisecond))
	if d < time.Second || d > 4*time.Second {
		t.Fatalf("idle connection closed after %v, want about 2s", d)
	}
}

func TestBadHTTPSettingsNameTheSetting(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"zero read timeout", []string{"dev", "--http-read-timeout", "0s"}, nil, "-http-read-timeout"},
		{"negative write timeout", []string{"serve", "--http-write-timeout", "-1s"}, nil, "-http-write-timeout"},
		{"zero rate", []string{"dev", "--http-min-rate", "0"}, nil, "-http-min-rate"},
		{"negative cap in the environment", []string{"dev"}, map[string]string{"SLUICE_HTTP_MAX_CONNS_PER_ADDR": "-1"}, "SLUICE_HTTP_MAX_CONNS_PER_ADDR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr syncBuffer
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			code := run(ctx, tc.args, &stdout, &stderr, func(k string) string { return tc.env[k] })
			if code != 1 || !strings.Contains(stderr.String(), tc.want) {
				t.Fatalf("exit %d, stderr %q, want 1 and a mention of %q", code, stderr.String(), tc.want)
			}
		})
	}
}
