package awshttp_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/sdk/awshttp"
)

// reply is larger than anything net/http reads from the socket at once.
var reply = bytes.Repeat([]byte("0123456789abcdef"), 64<<10)

// sdkBody behaves as smithy-go's request body (safeWriteToReadCloser):
// once closed, Read and WriteTo return io.EOF. Its WriteTo, called by
// net/http's extra read after the body is sent, waits for Close first:
// the SDK closing the body before that read is what a fast server makes
// likely, and the wait makes it certain.
type sdkBody struct {
	r         *bytes.Reader
	mu        sync.Mutex
	closed    chan struct{}
	closeOnce sync.Once
}

func newSDKBody(s string) *sdkBody {
	return &sdkBody{r: bytes.NewReader([]byte(s)), closed: make(chan struct{})}
}

func (b *sdkBody) isClosed() bool {
	select {
	case <-b.closed:
		return true
	default:
		return false
	}
}

func (b *sdkBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.isClosed() {
		return 0, io.EOF
	}
	return b.r.Read(p)
}

func (b *sdkBody) WriteTo(w io.Writer) (int64, error) {
	if b.r.Len() == 0 {
		select {
		case <-b.closed:
		case <-time.After(5 * time.Second):
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.isClosed() {
		return 0, io.EOF
	}
	return b.r.WriteTo(w)
}

func (b *sdkBody) Close() error {
	b.closeOnce.Do(func() { close(b.closed) })
	return nil
}

// server reads the whole request body, then sends reply.
func server(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			t.Errorf("server reading the body: %v", err)
		}
		_, _ = w.Write(reply)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// tracedTransport reports every connection it closes on closed.
func tracedTransport(closed chan<- struct{}) *http.Transport {
	var d net.Dialer
	return &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &reportingConn{Conn: c, closed: closed}, nil
	}}
}

type reportingConn struct {
	net.Conn
	closed chan<- struct{}
	once   sync.Once
}

func (c *reportingConn) Close() error {
	c.once.Do(func() { c.closed <- struct{}{} })
	return c.Conn.Close()
}

// call posts an SDK-style body as the SDK does: it closes the body as
// soon as the response headers are in, then reads the response body,
// after a connection is closed if wait is not nil.
func call(t *testing.T, client *http.Client, url string, reused *bool, wait <-chan struct{}) ([]byte, error) {
	t.Helper()
	body := newSDKBody(strings.Repeat("Action=ReceiveMessage&", 10))
	req, err := http.NewRequest(http.MethodPost, url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(body.r.Len())
	req = req.WithContext(httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) { *reused = info.Reused },
	}))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_ = body.Close() // smithy-go's client closes it right after Do returns
	if wait != nil {
		select {
		case <-wait:
		case <-time.After(5 * time.Second):
			t.Fatal("no connection closed: the reproduction no longer models net/http's extra read")
		}
	}
	return io.ReadAll(resp.Body)
}

// Without the transport the connection is closed under the reply: this
// is the failure the transport exists for, reproduced.
func TestRaceLosesReplyWithoutTransport(t *testing.T) {
	srv := server(t)
	closed := make(chan struct{}, 4)
	client := &http.Client{Transport: tracedTransport(closed)}
	defer client.CloseIdleConnections()
	var reused bool
	got, err := call(t, client, srv.URL, &reused, closed)
	if err == nil {
		t.Fatalf("the whole reply (%d bytes) was read from a closed connection", len(got))
	}
	t.Logf("without the transport: %d of %d bytes, %v", len(got), len(reply), err)
}

func TestTransportKeepsReplyAndConnection(t *testing.T) {
	srv := server(t)
	closed := make(chan struct{}, 4)
	client := awshttp.NewClient(&http.Client{Transport: tracedTransport(closed)})
	defer client.CloseIdleConnections()
	for i := range 3 {
		var reused bool
		got, err := call(t, client, srv.URL, &reused, nil)
		if err != nil || !bytes.Equal(got, reply) {
			t.Fatalf("call %d: %d of %d bytes, %v", i, len(got), len(reply), err)
		}
		if i > 0 && !reused {
			t.Fatalf("call %d opened a new connection", i)
		}
	}
	select {
	case <-closed:
		t.Fatal("a connection was closed")
	default:
	}
}

// The caller's request is left as it was, and a body shorter than its
// Content-Length is an error, as net/http makes it.
func TestTransportLeavesRequestAlone(t *testing.T) {
	var got []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
	}))
	defer srv.Close()
	client := awshttp.NewClient(nil)
	defer client.CloseIdleConnections()

	body := io.NopCloser(strings.NewReader("a=1"))
	req, _ := http.NewRequest(http.MethodPost, srv.URL, body)
	req.ContentLength = 3
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if string(got) != "a=1" || req.Body != body || req.GetBody != nil {
		t.Fatalf("server got %q; request body %v, GetBody set: %v", got, req.Body, req.GetBody != nil)
	}

	req, _ = http.NewRequest(http.MethodPost, srv.URL, io.NopCloser(strings.NewReader("a=1")))
	req.ContentLength = 5
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("a body shorter than its Content-Length was sent")
	}
}
