package sigv4

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// sdkRequest is a request shape a real SQS client sends.
type sdkRequest struct {
	name   string
	method string
	url    string
	header http.Header
	body   string
}

var sdkRequests = []sdkRequest{
	{
		name:   "JSON protocol SendMessage",
		method: http.MethodPost,
		url:    "https://sqs.us-east-1.amazonaws.com/",
		header: http.Header{
			"Content-Type":          {"application/x-amz-json-1.0"},
			"X-Amz-Target":          {"AmazonSQS.SendMessage"},
			"X-Amzn-Query-Mode":     {"true"},
			"Amz-Sdk-Invocation-Id": {"6f1c7a52-8c36-4bb1-9bd2-4f0d1c7c2a11"},
			"Amz-Sdk-Request":       {"attempt=1; max=3"},
			"User-Agent":            {"aws-sdk-go-v2/1.41.0 os/linux lang/go#1.26 api/sqs#1.52.10"},
		},
		body: `{"QueueUrl":"https://sqs.us-east-1.amazonaws.com/123456789012/my-queue","MessageBody":"hello, world"}`,
	},
	{
		name:   "query protocol form POST to a queue URL",
		method: http.MethodPost,
		url:    "https://sqs.us-east-1.amazonaws.com/123456789012/my-queue",
		header: http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}},
		body:   "Action=SendMessage&MessageBody=hello+world%21&Version=2012-11-05",
	},
	{
		name:   "query protocol GET",
		method: http.MethodGet,
		url:    "https://sqs.us-east-1.amazonaws.com/123456789012/my-queue?Action=ReceiveMessage&MaxNumberOfMessages=10&AttributeName.1=All&Version=2012-11-05",
	},
	{
		name:   "GET with repeated keys, spaces, plus, slash, unicode and empty values",
		method: http.MethodGet,
		url: "https://sqs.us-east-1.amazonaws.com/123456789012/my-queue.fifo?Action=SendMessage" +
			"&MessageBody=a%20b+c%2Fd%2Be%E2%9C%93&Tag=z&Tag=a&Tag=%2F&Empty=&Bare&%E2%9C%93=%7E-._" +
			"&MessageAttribute.1.Value.StringValue=%3D%26%3F%23&Version=2012-11-05",
	},
	{
		name:   "odd characters in the path",
		method: http.MethodGet,
		url:    "https://sqs.us-east-1.amazonaws.com/123456789012/a%20b%2Fc~d:e$f%E2%9C%93?Action=GetQueueAttributes",
	},
	{
		name:   "local endpoint with a port",
		method: http.MethodPost,
		url:    "http://localhost:4566/",
		header: http.Header{"Content-Type": {"application/x-amz-json-1.0"}, "X-Amz-Target": {"AmazonSQS.ListQueues"}},
		body:   `{}`,
	},
	{
		name:   "header values with runs of spaces and repeated headers",
		method: http.MethodPost,
		url:    "https://sqs.us-east-1.amazonaws.com/",
		header: http.Header{
			"Content-Type": {"application/x-amz-json-1.0"},
			"X-Amz-Target": {"AmazonSQS.ListQueues"},
			"X-Custom":     {"a   b    c", "second  value"},
		},
		body: `{"QueueNamePrefix":"p"}`,
	},
}

func (s sdkRequest) build(t testing.TB) (*http.Request, []byte) {
	body := []byte(s.body)
	return clientRequest(t, s.method, s.url, s.header, body), body
}

func TestVerifyAcceptsSDKSignedRequests(t *testing.T) {
	v := testVerifier(signedAt)
	for _, s := range sdkRequests {
		t.Run(s.name, func(t *testing.T) {
			req, body := s.build(t)
			signHeader(t, req, body, testRegion, "sqs", signedAt)
			r, wireBody := wire(t, req)
			id, err := v.Verify(context.Background(), r, wireBody)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			want := Identity{AccessKeyID: testKeyID, Region: testRegion, Service: "sqs", Date: signedAt}
			if id != want {
				t.Fatalf("identity = %+v, want %+v", id, want)
			}
		})
	}
}

func TestVerifyAcceptsPresignedRequests(t *testing.T) {
	v := testVerifier(signedAt.Add(time.Minute))
	for _, s := range sdkRequests {
		for _, payload := range []string{"", unsignedPayload} {
			t.Run(s.name+" "+payload, func(t *testing.T) {
				req, body := s.build(t)
				if payload == "" {
					payload = payloadHash(body)
				}
				r, wireBody := wire(t, presign(t, req, payload, signedAt))
				if !strings.Contains(r.URL.RawQuery, "X-Amz-Signature=") {
					t.Fatalf("not presigned: %s", r.URL)
				}
				id, err := v.Verify(context.Background(), r, wireBody)
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if id.AccessKeyID != testKeyID || id.Region != testRegion || id.UnsignedPayload != (payload == unsignedPayload) {
					t.Fatalf("identity = %+v", id)
				}
			})
		}
	}
}

// A real server, not just HTTP framing: Go's server moves Host out of
// Request.Header, which is what the verifier has to cope with.
func TestVerifyThroughHTTPServer(t *testing.T) {
	v := testVerifier(time.Now())
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if _, err := v.Verify(r.Context(), r, body); err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
		}
	}))
	defer server.Close()

	body := []byte(`{"QueueName":"orders"}`)
	req := clientRequest(t, http.MethodPost, server.URL+"/", http.Header{
		"Content-Type": {"application/x-amz-json-1.0"},
		"X-Amz-Target": {"AmazonSQS.CreateQueue"},
	}, body)
	signHeader(t, req, body, testRegion, "sqs", time.Now())
	resp, err := server.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, msg)
	}
}

// mutation changes a signed request after signing; the verifier must notice.
type mutation struct {
	name    string
	mutate  func(r *http.Request, body []byte) []byte
	code    string
	status  int
	message string // checked when set
}

func setAuthorization(r *http.Request, from, to string) {
	r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), from, to, 1))
}

func TestVerifyRefusesMutatedHeaderSignedRequest(t *testing.T) {
	mutations := []mutation{
		{name: "body byte", code: CodeSignatureDoesNotMatch, status: 403, message: msgSignatureDoesNotMatch,
			mutate: func(_ *http.Request, body []byte) []byte { b := append([]byte(nil), body...); b[10] ^= 1; return b }},
		{name: "body truncated", code: CodeSignatureDoesNotMatch, status: 403,
			mutate: func(_ *http.Request, body []byte) []byte { return body[:len(body)-1] }},
		{name: "X-Amz-Target value", code: CodeSignatureDoesNotMatch, status: 403,
			mutate: func(r *http.Request, b []byte) []byte {
				r.Header.Set("X-Amz-Target", "AmazonSQS.DeleteQueue")
				return b
			}},
		{name: "Content-Type value", code: CodeSignatureDoesNotMatch, status: 403,
			mutate: func(r *http.Request, b []byte) []byte { r.Header.Set("Content-Type", "application/json"); return b }},
		{name: "Host", code: CodeSignatureDoesNotMatch, status: 403,
			mutate: func(r *http.Request, b []byte) []byte { r.Host = "sqs.eu-west-1.amazonaws.com"; return b }},
		{name: "method", code: CodeSignatureDoesNotMatch, status: 403,
			mutate: func(r *http.Request, b []byte) []byte { r.Method = http.MethodPut; return b }},
		{name: "path", code: CodeSignatureDoesNotMatch, status: 403,
			mutate: func(r *http.Request, b []byte) []byte { r.RequestURI = "/123456789012/other"; return b }},
		{name: "query parameter added", code: CodeSignatureDoesNotMatch, status: 403,
			mutate: func(r *http.Request, b []byte) []byte { r.URL.RawQuery = "Action=DeleteQueue"; return b }},
		{name: "signed header dropped from the list", code: CodeSignatureDoesNotMatch, status: 403,
			mutate: func(r *http.Request, b []byte) []byte { setAuthorization(r, "content-type;", ""); return b }},
		{name: "host dropped from the list", code: CodeIncompleteSignature, status: 400,
			message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
			mutate:  func(r *http.Request, b []byte) []byte { setAuthorization(r, ";host;", ";"); return b }},
		{name: "x-amz-target dropped from the list", code: CodeIncompleteSignature, status: 400,
			mutate: func(r *http.Request, b []byte) []byte { setAuthorization(r, ";x-amz-target", ""); return b }},
		{name: "X-Amz-Date one second later", code: CodeSignatureDoesNotMatch, status: 403, message: msgSignatureDoesNotMatch,
			mutate: func(r *http.Request, b []byte) []byte { r.Header.Set("X-Amz-Date", "20260314T150927Z"); return b }},
		{name: "X-Amz-Date the next day", code: CodeSignatureDoesNotMatch, status: 403,
			message: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20260314' != '20260315', from 'X-Amz-Date'.",
			mutate:  func(r *http.Request, b []byte) []byte { r.Header.Set("X-Amz-Date", "20260315T000000Z"); return b }},
		{name: "X-Amz-Date malformed", code: CodeIncompleteSignature, status: 400,
			message: "Date must be in ISO-8601 'basic format'. Got '2026-03-14T15:09:26Z'. See http://en.wikipedia.org/wiki/ISO_8601",
			mutate:  func(r *http.Request, b []byte) []byte { r.Header.Set("X-Amz-Date", "2026-03-14T15:09:26Z"); return b }},
		{name: "region", code: CodeSignatureDoesNotMatch, status: 403, message: msgSignatureDoesNotMatch,
			mutate: func(r *http.Request, b []byte) []byte { setAuthorization(r, "/us-east-1/", "/eu-west-1/"); return b }},
		{name: "invalid region", code: CodeSignatureDoesNotMatch, status: 403,
			message: "Credential should be scoped to a valid region, not 'US_EAST_1'. ",
			mutate:  func(r *http.Request, b []byte) []byte { setAuthorization(r, "/us-east-1/", "/US_EAST_1/"); return b }},
		{name: "service", code: CodeSignatureDoesNotMatch, status: 403,
			message: "Credential should be scoped to correct service: 'sqs'. ",
			mutate:  func(r *http.Request, b []byte) []byte { setAuthorization(r, "/sqs/", "/sns/"); return b }},
		{name: "terminator", code: CodeSignatureDoesNotMatch, status: 403,
			message: "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws4_reqest'. ",
			mutate:  func(r *http.Request, b []byte) []byte { setAuthorization(r, "/aws4_request", "/aws4_reqest"); return b }},
		{name: "credential with four parts", code: CodeIncompleteSignature, status: 400,
			message: "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" +
				testKeyID + "/20260314/us-east-1/aws4_request'",
			mutate: func(r *http.Request, b []byte) []byte { setAuthorization(r, "/sqs/", "/"); return b }},
		{name: "unknown access key", code: CodeInvalidClientTokenID, status: 403, message: msgInvalidClientTokenID,
			mutate: func(r *http.Request, b []byte) []byte {
				setAuthorization(r, testKeyID, "AKIAUNKNOWN000000000")
				return b
			}},
		{name: "signature one digit off", code: CodeSignatureDoesNotMatch, status: 403,
			mutate: func(r *http.Request, b []byte) []byte {
				auth := r.Header.Get("Authorization")
				last := "0"
				if strings.HasSuffix(auth, "0") {
					last = "1"
				}
				r.Header.Set("Authorization", auth[:len(auth)-1]+last)
				return b
			}},
		{name: "signature not hex", code: CodeSignatureDoesNotMatch, status: 403,
			mutate: func(r *http.Request, b []byte) []byte { setAuthorization(r, "Signature=", "Signature=zz"); return b }},
		{name: "no Signature", code: CodeIncompleteSignature, status: 400,
			message: "Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256 Credential=x, SignedHeaders=host",
			mutate: func(r *http.Request, b []byte) []byte {
				r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x, SignedHeaders=host")
				return b
			}},
		{name: "not SigV4 and no date", code: CodeIncompleteSignature, status: 400,
			message: "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
				"Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a " +
				"'X-Amz-Date' or a 'Date' header. Authorization=Bearer abc.def",
			mutate: func(r *http.Request, b []byte) []byte {
				r.Header.Set("Authorization", "Bearer abc.def")
				r.Header.Del("X-Amz-Date")
				return b
			}},
		{name: "SigV4a", code: CodeIncompleteSignature, status: 400, message: "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256'.",
			mutate: func(r *http.Request, b []byte) []byte {
				setAuthorization(r, algorithm, "AWS4-ECDSA-P256-SHA256")
				return b
			}},
		{name: "space inside the credential", code: CodeIncompleteSignature, status: 400,
			mutate: func(r *http.Request, b []byte) []byte { setAuthorization(r, testKeyID+"/", testKeyID+" /"); return b }},
		{name: "two Authorization headers", code: CodeIncompleteSignature, status: 400,
			mutate: func(r *http.Request, b []byte) []byte {
				r.Header.Add("Authorization", r.Header.Get("Authorization"))
				return b
			}},
		{name: "also presigned", code: CodeIncompleteSignature, status: 400,
			mutate: func(r *http.Request, b []byte) []byte { r.URL.RawQuery = "X-Amz-Signature=00"; return b }},
		{name: "no authentication", code: CodeMissingClientTokenID, status: 403, message: msgMissingClientTokenID,
			mutate: func(r *http.Request, b []byte) []byte { r.Header.Del("Authorization"); return b }},
		{name: "session token", code: CodeInvalidClientTokenID, status: 403, message: msgInvalidClientTokenID,
			mutate: func(r *http.Request, b []byte) []byte {
				r.Header.Set("X-Amz-Security-Token", "FwoGZXIvYXdzE")
				return b
			}},
	}

	v := testVerifier(signedAt)
	base := sdkRequests[0]
	for _, m := range mutations {
		t.Run(m.name, func(t *testing.T) {
			req, body := base.build(t)
			signHeader(t, req, body, testRegion, "sqs", signedAt)
			r, wireBody := wire(t, req)
			if _, err := v.Verify(context.Background(), r, wireBody); err != nil {
				t.Fatalf("unmutated request refused: %v", err)
			}
			wireBody = m.mutate(r, wireBody)
			_, err := v.Verify(context.Background(), r, wireBody)
			e := wantError(t, err, m.code, m.status)
			if m.message != "" && e.Message != m.message {
				t.Fatalf("message = %q\nwant      %q", e.Message, m.message)
			}
		})
	}
}

func TestVerifyRefusesWrongSecret(t *testing.T) {
	v := NewVerifier(staticStore{testKeyID: testSecret + "x"}, Options{Clock: func() time.Time { return signedAt }})
	req, body := sdkRequests[0].build(t)
	signHeader(t, req, body, testRegion, "sqs", signedAt)
	r, wireBody := wire(t, req)
	_, err := v.Verify(context.Background(), r, wireBody)
	wantError(t, err, CodeSignatureDoesNotMatch, 403)
}

func TestVerifyRefusesMutatedGETQuery(t *testing.T) {
	v := testVerifier(signedAt)
	for name, query := range map[string]string{
		"value changed":   "Action=ReceiveMessage&MaxNumberOfMessages=1&AttributeName.1=All&Version=2012-11-05",
		"parameter added": "Action=ReceiveMessage&MaxNumberOfMessages=10&AttributeName.1=All&Version=2012-11-05&VisibilityTimeout=0",
		"parameter gone":  "Action=ReceiveMessage&MaxNumberOfMessages=10&Version=2012-11-05",
		"key case":        "action=ReceiveMessage&MaxNumberOfMessages=10&AttributeName.1=All&Version=2012-11-05",
	} {
		t.Run(name, func(t *testing.T) {
			req, body := sdkRequests[2].build(t)
			signHeader(t, req, body, testRegion, "sqs", signedAt)
			r, wireBody := wire(t, req)
			r.URL.RawQuery = query
			_, err := v.Verify(context.Background(), r, wireBody)
			wantError(t, err, CodeSignatureDoesNotMatch, 403)
		})
	}
}

func TestVerifyRefusesMutatedPresignedRequest(t *testing.T) {
	v := testVerifier(signedAt)
	for _, m := range []struct {
		name   string
		from   string
		to     string
		code   string
		status int
	}{
		{"expiry lengthened", "X-Amz-Expires=300", "X-Amz-Expires=600", CodeSignatureDoesNotMatch, 403},
		{"action changed", "Action=ReceiveMessage", "Action=PurgeQueue", CodeSignatureDoesNotMatch, 403},
		{"signature removed", "X-Amz-Signature=", "X-Amz-Signatur=", CodeIncompleteSignature, 400},
		{"algorithm changed", "X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=AWS4-HMAC-SHA1", CodeIncompleteSignature, 400},
		{"credential repeated", "X-Amz-Algorithm=", "X-Amz-Credential=x&X-Amz-Algorithm=", CodeIncompleteSignature, 400},
		{"expiry beyond a week", "X-Amz-Expires=300", "X-Amz-Expires=604801", CodeIncompleteSignature, 400},
		{"expiry not a number", "X-Amz-Expires=300", "X-Amz-Expires=5m", CodeIncompleteSignature, 400},
		{"session token", "Action=", "X-Amz-Security-Token=abc&Action=", CodeInvalidClientTokenID, 403},
	} {
		t.Run(m.name, func(t *testing.T) {
			req, _ := sdkRequests[2].build(t)
			req.URL.RawQuery += "&X-Amz-Expires=300"
			r, body := wire(t, presign(t, req, payloadHash(nil), signedAt))
			if _, err := v.Verify(context.Background(), r, body); err != nil {
				t.Fatalf("unmutated request refused: %v", err)
			}
			if !strings.Contains(r.URL.RawQuery, m.from) {
				t.Fatalf("query %q has no %q", r.URL.RawQuery, m.from)
			}
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, m.from, m.to, 1)
			_, err := v.Verify(context.Background(), r, body)
			wantError(t, err, m.code, m.status)
		})
	}
}

// A presigned POST signed over its body must not verify with another body;
// one signed as UNSIGNED-PAYLOAD does, and says so.
func TestVerifyPresignedBody(t *testing.T) {
	v := testVerifier(signedAt)
	s := sdkRequests[1]

	req, body := s.build(t)
	r, _ := wire(t, presign(t, req, payloadHash(body), signedAt))
	_, err := v.Verify(context.Background(), r, []byte("Action=PurgeQueue&Version=2012-11-05"))
	wantError(t, err, CodeSignatureDoesNotMatch, 403)

	req, _ = s.build(t)
	r, _ = wire(t, presign(t, req, unsignedPayload, signedAt))
	id, err := v.Verify(context.Background(), r, []byte("anything"))
	if err != nil || !id.UnsignedPayload {
		t.Fatalf("Verify = %+v, %v; want an identity with UnsignedPayload", id, err)
	}
}

func TestVerifyContentSHA256Header(t *testing.T) {
	v := testVerifier(signedAt)
	for _, tc := range []struct {
		name     string
		declared func(body []byte) string
		sent     func(body []byte) []byte
		unsigned bool
		code     string
	}{
		{name: "body hash", declared: payloadHash, sent: same},
		{name: "UNSIGNED-PAYLOAD", declared: constant(unsignedPayload), sent: flipFirst, unsigned: true},
		{name: "hash of another body", declared: payloadHash, sent: flipFirst, code: CodeSignatureDoesNotMatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, body := sdkRequests[0].build(t)
			declared := tc.declared(body)
			req.Header.Set("X-Amz-Content-Sha256", declared)
			signHeaderPayload(t, req, declared, testRegion, "sqs", signedAt)
			r, wireBody := wire(t, req)
			id, err := v.Verify(context.Background(), r, tc.sent(wireBody))
			if tc.code != "" {
				wantError(t, err, tc.code, 403)
				return
			}
			if err != nil || id.UnsignedPayload != tc.unsigned {
				t.Fatalf("Verify = %+v, %v", id, err)
			}
		})
	}
}

func same(b []byte) []byte { return b }

func flipFirst(b []byte) []byte {
	c := append([]byte(nil), b...)
	c[0] ^= 1
	return c
}

func constant(s string) func([]byte) string { return func([]byte) string { return s } }

// An outage of the credential store is not the client's fault.
func TestVerifyCredentialStoreFailure(t *testing.T) {
	outage := errors.New("catalog unreachable")
	v := NewVerifier(failingStore{outage}, Options{Clock: func() time.Time { return signedAt }})
	req, body := sdkRequests[0].build(t)
	signHeader(t, req, body, testRegion, "sqs", signedAt)
	r, wireBody := wire(t, req)
	_, err := v.Verify(context.Background(), r, wireBody)
	wantError(t, err, CodeInternalFailure, 500)
	if !errors.Is(err, outage) {
		t.Fatalf("error %v does not wrap the store's", err)
	}
	if !errors.Is(err, &Error{Code: CodeInternalFailure}) {
		t.Fatalf("errors.Is by code failed for %v", err)
	}
}

type failingStore struct{ err error }

func (f failingStore) SecretFor(context.Context, string) (string, error) { return "", f.err }
