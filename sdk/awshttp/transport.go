// Package awshttp keeps aws-sdk-go-v2 clients from losing replies to a
// race between the SDK's request bodies and net/http.
//
// The SDK (smithy-go) hands net/http a request body that net/http does
// not know to be in memory, and closes it as soon as the response headers
// are in. net/http, after writing the body, reads it once more to check
// for bytes beyond Content-Length. When a fast server has answered before
// that read, the read meets the closed body, whose WriteTo returns io.EOF;
// net/http takes that for a write error and closes the connection, also
// under a response body still being read. A reply larger than what one
// read from the socket brings in (net/http reads 4 KiB at a time), such as
// a ReceiveMessage of 10 messages of a few KiB, then fails with
// "deserialization failed … use of closed network connection"
// (aws/aws-sdk-go-v2#1825 and #2737). The SDK retries that error, but a
// retried ReceiveMessage leaves the first attempt's messages invisible
// until their visibility timeout ends.
//
// Use it as the SDK's HTTP client:
//
//	sqs.New(sqs.Options{..., HTTPClient: awshttp.NewClient(nil)})
package awshttp

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
)

// MaxBuffered is the largest request body the transport copies. Larger
// ones (uploads, which SQS has none of: its largest request is a few MiB)
// pass through as they are.
const MaxBuffered = 16 << 20

// idleConnsPerHost replaces net/http's default of 2 idle connections per
// host, which makes a client with more than two concurrent callers open
// and close a connection on most calls.
const idleConnsPerHost = 100

// NewTransport returns a RoundTripper that sends every request body of
// known length up to MaxBuffered from an in-memory copy of its own, so
// nothing the SDK does to its body after the response arrives can reach
// the connection. next does the sending; nil means a clone of
// http.DefaultTransport keeping up to 100 idle connections per host.
func NewTransport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = idleConnsPerHost
		t.MaxIdleConns = max(t.MaxIdleConns, idleConnsPerHost)
		next = t
	}
	return &transport{next: next}
}

// NewClient returns a copy of c (nil: a zero http.Client) whose transport
// is NewTransport of c's.
func NewClient(c *http.Client) *http.Client {
	out := &http.Client{}
	if c != nil {
		*out = *c
	}
	out.Transport = NewTransport(out.Transport)
	return out
}

type transport struct {
	next http.RoundTripper
}

// RoundTrip reads the body whole, closes it, and sends the request with a
// replayable copy. net/http recognises the copy as in-memory: it writes
// headers and body together and its extra read finds a clean end.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody || req.ContentLength <= 0 || req.ContentLength > MaxBuffered {
		return t.next.RoundTrip(req)
	}
	buf := make([]byte, req.ContentLength)
	n, err := io.ReadFull(req.Body, buf)
	closeErr := req.Body.Close() // a RoundTripper closes the body, whatever happens
	if err != nil {
		return nil, fmt.Errorf("awshttp: request body: ContentLength=%d with body length %d: %w", req.ContentLength, n, err)
	}
	if closeErr != nil {
		return nil, fmt.Errorf("awshttp: closing request body: %w", closeErr)
	}
	// A RoundTripper must not change the caller's request: send a copy.
	out := new(http.Request)
	*out = *req
	out.Body = io.NopCloser(bytes.NewReader(buf))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf)), nil }
	return t.next.RoundTrip(out)
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach next.
func (t *transport) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
