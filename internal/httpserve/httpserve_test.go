package httpserve

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// serve runs a server for h with cfg on 127.0.0.1 until the test ends.
func serve(t *testing.T, cfg Config, h http.Handler) (addr string, l net.Listener) {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l = LimitListener(inner, cfg.MaxConnsPerAddr, nil)
	srv := NewServer(h, cfg, nil)
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(l) }()
	t.Cleanup(func() { srv.Close(); <-done })
	return inner.Addr().String(), l
}

// countBody answers with the length of the body it read, or 400.
var countBody = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	fmt.Fprint(w, len(b))
})

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// lifetime waits for the server to close c, reading and discarding what it
// sends, and returns how long that took from start. It fails the test if c
// is still open after limit.
func lifetime(t *testing.T, c net.Conn, start time.Time, limit time.Duration) time.Duration {
	t.Helper()
	c.SetReadDeadline(start.Add(limit))
	_, err := io.Copy(io.Discard, c) // nil at EOF; a reset also means closed
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("connection still open after %v", limit)
	}
	return time.Since(start)
}

// trickle writes one byte to c every interval until c fails or the test
// ends.
func trickle(t *testing.T, c net.Conn, interval time.Duration) {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := c.Write([]byte("x")); err != nil {
					return
				}
			}
		}
	})
	t.Cleanup(func() { close(stop); wg.Wait() })
}

// A body trickling in far below MinRate is cut off at about ReadTimeout,
// as is one that stops short of its Content-Length.
func TestSlowOrShortBodyIsCutOff(t *testing.T) {
	cfg := Config{ReadTimeout: 500 * time.Millisecond, MinRate: 1000, WriteTimeout: 2 * time.Second, IdleTimeout: 2 * time.Second}
	addr, _ := serve(t, cfg, countBody)
	for _, tc := range []struct {
		name    string
		send    string
		trickle bool
	}{
		{"one byte every 100ms", "Content-Length: 1000\r\n\r\n", true},
		{"10 of 100 bytes, then nothing", "Content-Length: 100\r\n\r\n0123456789", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, addr)
			start := time.Now()
			if _, err := fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\n%s", tc.send); err != nil {
				t.Fatal(err)
			}
			if tc.trickle {
				trickle(t, c, 100*time.Millisecond)
			}
			d := lifetime(t, c, start, 5*time.Second)
			t.Logf("closed after %v", d.Round(time.Millisecond))
			if d < 400*time.Millisecond || d > 2*time.Second {
				t.Fatalf("closed after %v, want about ReadTimeout (%v)", d, cfg.ReadTimeout)
			}
		})
	}
}

// A body arriving steadily above MinRate is read whole, though it takes
// twice ReadTimeout: the deadline follows the bytes.
func TestSteadyBodyOutlastsReadTimeout(t *testing.T) {
	cfg := Config{ReadTimeout: 300 * time.Millisecond, MinRate: 1000, WriteTimeout: 2 * time.Second, IdleTimeout: 2 * time.Second}
	addr, _ := serve(t, cfg, countBody)
	c := dial(t, addr)
	c.SetDeadline(time.Now().Add(10 * time.Second))
	const chunk, chunks = 200, 15 // 3000 bytes at 4000 B/s: 4× MinRate
	start := time.Now()
	sendSlowly(t, c, chunk, chunks)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("after %v: %v", time.Since(start), err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(b) != fmt.Sprint(chunk*chunks) {
		t.Fatalf("after %v: %d %s", time.Since(start), resp.StatusCode, b)
	}
	t.Logf("%d bytes in %v", chunk*chunks, time.Since(start).Round(time.Millisecond))
}

// A keep-alive connection is closed after IdleTimeout without a request,
// and one that never sends its headers after ReadTimeout.
func TestIdleConnectionIsClosed(t *testing.T) {
	cfg := Config{ReadTimeout: 500 * time.Millisecond, IdleTimeout: 500 * time.Millisecond, WriteTimeout: 2 * time.Second}
	addr, _ := serve(t, cfg, countBody)
	t.Run("after a request", func(t *testing.T) {
		c := dial(t, addr)
		c.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprint(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.ReadAll(resp.Body)
		if resp.Close {
			t.Fatal("server did not keep the connection alive")
		}
		start := time.Now()
		d := lifetime(t, c, start, 5*time.Second)
		t.Logf("idle connection closed after %v", d.Round(time.Millisecond))
		if d < 400*time.Millisecond || d > 2*time.Second {
			t.Fatalf("closed after %v, want about IdleTimeout (%v)", d, cfg.IdleTimeout)
		}
		if br.Buffered() > 0 {
			t.Fatal("unexpected bytes after the response")
		}
	})
	t.Run("silent from the start", func(t *testing.T) {
		c := dial(t, addr)
		d := lifetime(t, c, time.Now(), 5*time.Second)
		if d > 2*time.Second {
			t.Fatalf("closed after %v, want about ReadTimeout (%v)", d, cfg.ReadTimeout)
		}
	})
}

// longPoll waits wait after reading the body, like ReceiveMessage with
// WaitTimeSeconds, and says whether its context ended first.
func longPoll(wait time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		select {
		case <-time.After(wait):
			fmt.Fprint(w, "waited")
		case <-r.Context().Done():
			http.Error(w, "cancelled: "+r.Context().Err().Error(), http.StatusServiceUnavailable)
		}
	})
}

// sendSlowly writes a request with a body of chunks*chunk bytes, a chunk
// every 50 ms (4000 B/s for 200-byte chunks).
func sendSlowly(t *testing.T, c net.Conn, chunk, chunks int) {
	t.Helper()
	if _, err := fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", chunk*chunks); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for range chunks {
		time.Sleep(50 * time.Millisecond)
		if _, err := c.Write([]byte(strings.Repeat("x", chunk))); err != nil {
			t.Fatalf("body cut off after %v: %v", time.Since(start), err)
		}
	}
}

// A long poll after a slow body is answered, and so is the next on the
// same connection: the body takes four times ReadTimeout (but keeps to
// MinRate), and body plus poll take longer than WriteTimeout, which counts
// from the body's arrival. A plain http.Server with these ReadTimeout and
// WriteTimeout fails both.
func TestLongPollAfterASlowBody(t *testing.T) {
	cfg := Config{ReadTimeout: 300 * time.Millisecond, IdleTimeout: 300 * time.Millisecond, WriteTimeout: 2 * time.Second, MinRate: 1000}
	addr, _ := serve(t, cfg, longPoll(1200*time.Millisecond))
	c := dial(t, addr)
	c.SetDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(c)
	for i, chunks := range []int{24, 1} { // 1.2 s of body, then a quick one
		start := time.Now()
		sendSlowly(t, c, 200, chunks)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("poll %d after %v: %v", i, time.Since(start), err)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || string(b) != "waited" {
			t.Fatalf("poll %d after %v: %d %s", i, time.Since(start), resp.StatusCode, b)
		}
		t.Logf("poll %d answered after %v", i, time.Since(start).Round(time.Millisecond))
	}
}

// A handler that runs past WriteTimeout does not get to reply.
func TestWriteTimeoutEndsAnOverrunningRequest(t *testing.T) {
	cfg := Config{ReadTimeout: 300 * time.Millisecond, IdleTimeout: 300 * time.Millisecond, WriteTimeout: 500 * time.Millisecond, MinRate: 1000}
	addr, _ := serve(t, cfg, longPoll(1500*time.Millisecond))
	client := &http.Client{Timeout: 10 * time.Second}
	start := time.Now()
	resp, err := client.Post("http://"+addr+"/", "text/plain", strings.NewReader("x"))
	if err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Fatalf("answered after %v: %d %s", time.Since(start), resp.StatusCode, b)
	}
}

// A reply far larger than socket buffers, taken at 4× MinRate, is written
// whole although it takes many times WriteTimeout: the deadline follows
// the bytes.
func TestLargeReplyAtMinRateIsWritten(t *testing.T) {
	const size = 16 << 20
	reply := []byte(strings.Repeat("y", size))
	cfg := Config{ReadTimeout: time.Second, IdleTimeout: time.Second, WriteTimeout: 300 * time.Millisecond, MinRate: 2 << 20}
	addr, _ := serve(t, cfg, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(size))
		w.Write(reply)
	}))
	c := dial(t, addr)
	c.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprint(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	start := time.Now()
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got int
	buf := make([]byte, 256<<10)
	for got < size { // about 8 MiB/s
		time.Sleep(30 * time.Millisecond)
		n, err := io.ReadFull(resp.Body, buf[:min(len(buf), size-got)])
		got += n
		if err != nil {
			t.Fatalf("%d of %d bytes after %v: %v", got, size, time.Since(start), err)
		}
	}
	t.Logf("%d MiB in %v", size>>20, time.Since(start).Round(time.Millisecond))
}

// The defaults admit what SQS clients do: a 20 s long poll plus the
// engine's work, a 4 MiB body on a modest link, and the connections an
// SDK pools.
func TestDefaultsAdmitSQSClients(t *testing.T) {
	const (
		longestPoll = 20 * time.Second // SQS's WaitTimeSeconds maximum
		margin      = 5 * time.Second
		maxBody     = 4 << 20 // sqsapi's MaxBodyBytes default
		modestLink  = 16 << 10
		sdkPool     = 100
	)
	d := Defaults()
	if d.WriteTimeout < longestPoll+margin {
		t.Errorf("WriteTimeout %v leaves less than %v after a %v long poll", d.WriteTimeout, margin, longestPoll)
	}
	if d.MinRate > modestLink {
		t.Errorf("MinRate %d B/s refuses a 4 MiB body at %d B/s", d.MinRate, modestLink)
	}
	if got := d.ReadTimeout + atRate(maxBody, d.MinRate); got < 4*time.Minute {
		t.Errorf("a 4 MiB body gets %v", got)
	}
	if d.IdleTimeout <= 60*time.Second || d.IdleTimeout >= 90*time.Second {
		t.Errorf("IdleTimeout %v: want above load balancers' 60 s, below clients' 90 s", d.IdleTimeout)
	}
	if d.MaxConnsPerAddr < 2*sdkPool {
		t.Errorf("MaxConnsPerAddr %d: an SDK pools up to %d", d.MaxConnsPerAddr, sdkPool)
	}
	srv := NewServer(http.NotFoundHandler(), Config{}, nil)
	if srv.ReadTimeout != 0 {
		t.Errorf("http.Server.ReadTimeout %v: one deadline for every body, however large", srv.ReadTimeout)
	}
	if srv.ReadHeaderTimeout != d.ReadTimeout || srv.IdleTimeout != d.IdleTimeout || srv.WriteTimeout != d.WriteTimeout {
		t.Errorf("zero Config did not take the defaults: %+v", srv)
	}
}
