package httpserve

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"testing"
	"time"
)

// client is a keep-alive connection from a chosen local address.
type client struct {
	net.Conn
	r *bufio.Reader
}

func dialFrom(t *testing.T, local, addr string) (*client, error) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 2 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { c.Close() })
	return &client{Conn: c, r: bufio.NewReader(c)}, nil
}

// get sends one request and reads the answer, leaving the connection open.
func (c *client) get() error {
	c.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := fmt.Fprint(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		return err
	}
	resp, err := http.ReadResponse(c.r, nil)
	if err != nil {
		return err
	}
	io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// openCount reports the listener's count of connections from every address.
func openCount(l net.Listener) map[netip.Prefix]int {
	ll := l.(*Listener)
	ll.mu.Lock()
	defer ll.mu.Unlock()
	out := make(map[netip.Prefix]int, len(ll.open))
	for k, v := range ll.open {
		out[k] = v
	}
	return out
}

// eventually polls cond for up to 3 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not within 3 s: %s", what)
		}
	}
}

// Over the cap, a connection from 127.0.0.1 is closed unanswered while
// 127.0.0.2 is still served; closing a connection frees its place, and the
// counts return to nothing when every connection is closed.
func TestConnCapPerAddress(t *testing.T) {
	addr, l := serve(t, Config{MaxConnsPerAddr: 2, ReadTimeout: 5 * time.Second}, countBody)
	var held []*client
	for range 2 {
		c, err := dialFrom(t, "127.0.0.1", addr)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.get(); err != nil {
			t.Fatalf("connection under the cap: %v", err)
		}
		held = append(held, c)
	}

	over, err := dialFrom(t, "127.0.0.1", addr)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = over.get()
	if err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("third connection from 127.0.0.1: got %v, want it closed", err)
	}
	t.Logf("over the cap: %v after %v", err, time.Since(start).Round(time.Millisecond))

	other, err := dialFrom(t, "127.0.0.2", addr)
	if err != nil {
		t.Skipf("cannot dial from 127.0.0.2 here: %v", err)
	}
	if err := other.get(); err != nil {
		t.Fatalf("127.0.0.2 refused while 127.0.0.1 is at the cap: %v", err)
	}
	// The held connections still work.
	if err := held[1].get(); err != nil {
		t.Fatal(err)
	}

	held[0].Close()
	eventually(t, "a place frees when a connection closes", func() bool {
		c, err := dialFrom(t, "127.0.0.1", addr)
		if err != nil {
			return false
		}
		if c.get() != nil {
			return false
		}
		held[0] = c
		return true
	})

	for _, c := range append(held, other) {
		c.Close()
	}
	eventually(t, "no connections counted once all are closed", func() bool { return len(openCount(l)) == 0 })
}

// Closing a connection twice uncounts it once.
func TestConnCountedOnce(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := LimitListener(inner, 5, nil)
	defer l.Close()
	accepted := make(chan net.Conn, 2)
	go func() {
		for range 2 {
			c, err := l.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	for range 2 {
		dial(t, inner.Addr().String())
	}
	var conns []net.Conn
	for range 2 {
		select {
		case c, ok := <-accepted:
			if !ok {
				t.Fatal("accept failed")
			}
			conns = append(conns, c)
		case <-time.After(3 * time.Second):
			t.Fatal("no connection accepted in 3 s")
		}
	}
	loopback := netip.MustParsePrefix("127.0.0.1/32")
	if got := openCount(l)[loopback]; got != 2 {
		t.Fatalf("count %d, want 2", got)
	}
	conns[0].Close()
	conns[0].Close()
	if got := openCount(l)[loopback]; got != 1 {
		t.Fatalf("count after closing one twice: %d, want 1", got)
	}
	conns[1].Close()
	if got := openCount(l); len(got) != 0 {
		t.Fatalf("counts after closing all: %v", got)
	}
}

func TestClientAddr(t *testing.T) {
	tcp := func(s string) net.Addr { return net.TCPAddrFromAddrPort(netip.MustParseAddrPort(s)) }
	for _, tc := range []struct {
		addr net.Addr
		want string // "" for not capped
	}{
		{tcp("192.0.2.7:4000"), "192.0.2.7/32"},
		{tcp("[::ffff:192.0.2.7]:4000"), "192.0.2.7/32"},
		{tcp("[2001:db8:1:2:aaaa::1]:4000"), "2001:db8:1:2::/64"},
		{tcp("[2001:db8:1:2:bbbb::9]:4000"), "2001:db8:1:2::/64"},
		{&net.TCPAddr{IP: net.ParseIP("fe80::1"), Zone: "eth0", Port: 1}, "fe80::/64"},
		{&net.UnixAddr{Name: "/tmp/sock", Net: "unix"}, ""},
	} {
		got, ok := clientAddr(tc.addr)
		if (tc.want == "") == ok || ok && got.String() != tc.want {
			t.Errorf("%v: got %v %v, want %q", tc.addr, got, ok, tc.want)
		}
	}
}
