package sigv4

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	testKeyID  = "AKIASLUICETEST000001"
	testSecret = "sluice/test+secret/0123456789abcdefghijKLMN"
	testRegion = "us-east-1"
)

// signedAt is when the test requests are signed; verifiers' clocks start there.
var signedAt = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

// staticStore is a CredentialStore over a map.
type staticStore map[string]string

func (s staticStore) SecretFor(_ context.Context, accessKeyID string) (string, error) {
	if secret, ok := s[accessKeyID]; ok {
		return secret, nil
	}
	return "", fmt.Errorf("access key %q: %w", accessKeyID, ErrUnknownKey)
}

func testVerifier(now time.Time) *Verifier {
	return NewVerifier(staticStore{testKeyID: testSecret}, Options{Clock: func() time.Time { return now }})
}

var testCredentials = aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}

func payloadHash(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// clientRequest is a request as an SDK builds it, before signing.
func clientRequest(t testing.TB, method, url string, header http.Header, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("building %s %s: %v", method, url, err)
	}
	for name, values := range header {
		req.Header[name] = values
	}
	return req
}

// signHeader signs req with the aws-sdk-go-v2 signer, as the SQS client does.
func signHeader(t testing.TB, req *http.Request, body []byte, region, service string, at time.Time) {
	t.Helper()
	signHeaderPayload(t, req, payloadHash(body), region, service, at)
}

// signHeaderPayload signs req declaring the payload hash given.
func signHeaderPayload(t testing.TB, req *http.Request, payload, region, service string, at time.Time) {
	t.Helper()
	err := v4.NewSigner().SignHTTP(context.Background(), testCredentials, req, payload, service, region, at)
	if err != nil {
		t.Fatalf("signing: %v", err)
	}
}

// presign returns req presigned with the aws-sdk-go-v2 signer, with the
// signed headers set on it.
func presign(t testing.TB, req *http.Request, payload string, at time.Time) *http.Request {
	t.Helper()
	url, headers, err := v4.NewSigner().PresignHTTP(context.Background(), testCredentials, req, payload, "sqs", testRegion, at)
	if err != nil {
		t.Fatalf("presigning: %v", err)
	}
	var body []byte
	if req.GetBody != nil {
		r, _ := req.GetBody()
		body, _ = io.ReadAll(r)
	}
	signed := clientRequest(t, req.Method, url, nil, body)
	for name, values := range headers {
		if !strings.EqualFold(name, "host") {
			signed.Header[name] = values
		}
	}
	return signed
}

// wire sends req through HTTP/1.1 framing and reads it back as Go's server
// would, so Host sits in Request.Host, RequestURI is the raw target, and so on.
func wire(t testing.TB, req *http.Request) (*http.Request, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		t.Fatalf("writing request: %v", err)
	}
	return readWire(t, buf.String())
}

func readWire(t testing.TB, raw string) (*http.Request, []byte) {
	t.Helper()
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		t.Fatalf("reading request back: %v\n%s", err, raw)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return r, body
}

// wantError checks that err is an *Error with the code and status given.
func wantError(t testing.TB, err error, code string, status int) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want *Error %s", err, code)
	}
	if e.Code != code || e.Status != status {
		t.Fatalf("error = %s %d %q, want %s %d", e.Code, e.Status, e.Message, code, status)
	}
	return e
}
