package httpserve

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// curlLikeRequests posts n forms of a few KiB as a client with Nagle's
// algorithm on that writes headers and body in two writes, on one
// keep-alive connection or a fresh one each, and returns the median time
// a request took.
func curlLikeRequests(t *testing.T, addr string, n int, keepAlive bool) time.Duration {
	t.Helper()
	body := "Action=SendMessage&MessageBody=" + strings.Repeat("x", 3000)
	var (
		c     net.Conn
		br    *bufio.Reader
		times []time.Duration
	)
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	for range n {
		start := time.Now()
		if c == nil || !keepAlive {
			if c != nil {
				c.Close()
			}
			var err error
			if c, err = net.Dial("tcp", addr); err != nil {
				t.Fatal(err)
			}
			if err := c.(*net.TCPConn).SetNoDelay(false); err != nil {
				t.Fatal(err)
			}
			br = bufio.NewReader(c)
		}
		if _, err := fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: sqs\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n", len(body)); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(c, body); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("reply: %d, %v", resp.StatusCode, err)
		}
		times = append(times, time.Since(start))
	}
	slices.Sort(times)
	return times[len(times)/2]
}

// A keep-alive connection must not be slower than a fresh one for a client
// that sends headers and body in two writes with Nagle on: without quick
// ACKs each request on a reused connection waited for the server's
// delayed ACK (40 ms on Linux).
func TestKeepAliveNotSlowerForSplitWrites(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("TCP_QUICKACK is Linux's")
	}
	reply := strings.Repeat("r", 1500)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, reply)
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(h, Defaults(), nil)
	go func() { _ = srv.Serve(QuickAckListener(l)) }()
	t.Cleanup(func() { srv.Close() })

	const n = 30
	fresh := curlLikeRequests(t, l.Addr().String(), n, false)
	reused := curlLikeRequests(t, l.Addr().String(), n, true)
	t.Logf("median per request: fresh connections %v, one keep-alive connection %v", fresh, reused)
	// Generous for a noisy machine; the delayed ACK alone is 40 ms.
	if reused > 2*fresh+15*time.Millisecond {
		t.Fatalf("keep-alive requests took %v each, fresh connections %v", reused, fresh)
	}
}
