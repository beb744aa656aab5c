package httpserve

import (
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"
)

// refusedLogEvery spaces the warnings about refused connections, so a
// flood of them cannot flood the log too.
const refusedLogEvery = time.Minute

// Listener caps the connections one client address holds open. Over the
// cap a connection is closed as soon as it is accepted, before a byte of
// it is read: answering 503 would first mean reading a request, the very
// time and memory the cap is there to bound, for a client that has a
// thousand connections open already. The client sees the connection
// closed or reset, which HTTP clients and the AWS SDKs retry.
//
// An address is an IPv4 address, or an IPv6 /64, since one host is
// commonly given a whole /64. Connections from addresses that are not IP
// (a Unix socket) are not capped.
type Listener struct {
	net.Listener
	max int
	log *slog.Logger

	mu         sync.Mutex
	open       map[netip.Prefix]int // addresses with connections open; none at 0
	refused    int                  // since the last warning
	lastWarned time.Time
}

// LimitListener returns l with at most max connections open per client
// address; max <= 0 returns l unchanged. Refusals are logged to log at
// warning level, at most once a minute.
func LimitListener(l net.Listener, max int, log *slog.Logger) net.Listener {
	if max <= 0 {
		return l
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Listener{Listener: l, max: max, log: log, open: map[netip.Prefix]int{}}
}

// Accept returns the next connection whose address is under the cap,
// closing those over it.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr, ok := clientAddr(c.RemoteAddr())
		if !ok {
			return c, nil
		}
		if l.admit(addr) {
			return &conn{Conn: c, l: l, addr: addr}, nil
		}
		c.Close()
	}
}

// admit counts a connection from addr if addr is under the cap.
func (l *Listener) admit(addr netip.Prefix) bool {
	l.mu.Lock()
	if l.open[addr] < l.max {
		l.open[addr]++
		l.mu.Unlock()
		return true
	}
	l.refused++
	now := time.Now()
	warn := now.Sub(l.lastWarned) >= refusedLogEvery
	refused := l.refused
	if warn {
		l.lastWarned, l.refused = now, 0
	}
	l.mu.Unlock()
	if warn {
		l.log.Warn("refused connections over the per-address cap", "addr", addr.String(), "cap", l.max, "refused", refused)
	}
	return false
}

// release uncounts a connection from addr.
func (l *Listener) release(addr netip.Prefix) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[addr] <= 1 {
		delete(l.open, addr)
		return
	}
	l.open[addr]--
}

// clientAddr is the address a connection counts against.
func clientAddr(a net.Addr) (netip.Prefix, bool) {
	var ap netip.AddrPort
	if tcp, ok := a.(*net.TCPAddr); ok {
		ap = tcp.AddrPort()
	} else {
		var err error
		if ap, err = netip.ParseAddrPort(a.String()); err != nil {
			return netip.Prefix{}, false
		}
	}
	ip := ap.Addr().Unmap().WithZone("")
	if !ip.IsValid() {
		return netip.Prefix{}, false
	}
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	p, err := ip.Prefix(bits)
	return p, err == nil
}

// conn is a counted connection; closing it uncounts it, once.
type conn struct {
	net.Conn
	l       *Listener
	addr    netip.Prefix
	release sync.Once
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.release.Do(func() { c.l.release(c.addr) })
	return err
}

// CloseWrite passes on the half-close net/http uses to make sure a client
// reads a final reply (413, say) before the connection goes.
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}
