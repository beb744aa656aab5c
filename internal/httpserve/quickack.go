package httpserve

import (
	"net"
	"syscall"
)

// QuickAckListener returns l with every TCP connection it accepts asking
// the kernel, before each read, to acknowledge what arrives at once
// rather than after the delayed-ACK timer (40 ms on Linux).
//
// Why: a client with Nagle's algorithm on that writes a request's headers
// and body in two writes (libcurl before 7.50.2 and other clients that do
// not set TCP_NODELAY) holds the body back until the headers are
// acknowledged. On a fresh connection Linux acknowledges at once (its
// quick-ack mode at a connection's start); on a keep-alive connection it
// delays the ACK, since it expects to send one with a reply, and the
// reply waits for the body: each such request took 40–50 ms on a reused
// connection and 2–5 ms on a fresh one. Re-arming TCP_QUICKACK costs one
// setsockopt per read. Where the option does not exist it returns l.
func QuickAckListener(l net.Listener) net.Listener {
	if !quickAckSupported {
		return l
	}
	return quickAckListener{l}
}

type quickAckListener struct{ net.Listener }

func (l quickAckListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c, nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return c, nil
	}
	return &quickAckConn{TCPConn: tc, raw: rc}, nil
}

// quickAckConn re-arms TCP_QUICKACK before every read: the kernel clears
// it again whenever the connection looks interactive (it sent a reply).
type quickAckConn struct {
	*net.TCPConn
	raw syscall.RawConn
}

func (c *quickAckConn) Read(p []byte) (int, error) {
	_ = c.raw.Control(setQuickAck) // best effort: a failure only costs the old delay
	return c.TCPConn.Read(p)
}
