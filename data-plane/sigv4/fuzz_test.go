package sigv4

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
)

// FuzzVerify feeds raw HTTP requests to Verify. Whatever the request, Verify
// must not panic, must refuse with an *Error carrying a 4xx status and a code
// and message, and must give the same answer twice (the key cache must not
// change a verdict). The seed corpus in testdata/fuzz/FuzzVerify holds real
// signed requests (header, presigned) and malformed ones; signed seeds
// verify, so the fuzzer also mutates requests that get past every check.
func FuzzVerify(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\nHost: sqs.us-east-1.amazonaws.com\r\n\r\n"))
	f.Add([]byte("POST / HTTP/1.1\r\nHost: h\r\nX-Amz-Date: 20260314T150926Z\r\n" +
		"Authorization: AWS4-HMAC-SHA256 Credential=" + testKeyID + "/20260314/us-east-1/sqs/aws4_request, " +
		"SignedHeaders=host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000\r\n\r\n"))
	f.Add([]byte("GET /?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + testKeyID +
		"%2F20260314%2Fus-east-1%2Fsqs%2Faws4_request&X-Amz-Date=20260314T150926Z&X-Amz-Expires=60" +
		"&X-Amz-SignedHeaders=host&X-Amz-Signature=00 HTTP/1.1\r\nHost: h\r\n\r\n"))

	v := testVerifier(signedAt)
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			return
		}

		id, err := v.Verify(context.Background(), r, body)
		again, errAgain := v.Verify(context.Background(), r, body)
		if id != again || (err == nil) != (errAgain == nil) {
			t.Fatalf("two verdicts for one request: %+v, %v then %+v, %v", id, err, again, errAgain)
		}
		if err == nil {
			if id.AccessKeyID != testKeyID || id.Service != "sqs" || id.Region == "" {
				t.Fatalf("verified with a strange identity %+v", id)
			}
			return
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("error %v (%T) is not an *Error", err, err)
		}
		if e.Status < 400 || e.Status > 499 || e.Code == "" || e.Message == "" {
			t.Fatalf("error %+v: want a 4xx status, a code and a message", e)
		}
		var e2 *Error
		if !errors.As(errAgain, &e2) || e2.Code != e.Code || e2.Message != e.Message {
			t.Fatalf("two verdicts for one request: %v then %v", err, errAgain)
		}
	})
}
