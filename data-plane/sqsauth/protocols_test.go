package sqsauth_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sigv4"
)

// The sqsapi tests stand in a trusting authenticator for speed. This test is
// the one place every protocol path (JSON 1.0, Query POST, Query GET,
// presigned Query GET) goes through the real sqsauth authenticator, over a
// tenants catalog on a kv store: a correctly signed request succeeds, and
// the same request with one byte of its signature, or of what it signed,
// changed is refused with SignatureDoesNotMatch (403) in its own protocol.
// If signature checking were skipped on any path, that path's tampered
// requests would succeed and this test would fail.
func TestEveryProtocolPathChecksSignatures(t *testing.T) {
	const region = "us-east-1"
	ctx := context.Background()
	s := newSignedServer(t, region)
	eng, srv := s.engine, s.Server
	creds := aws.Credentials{AccessKeyID: s.key, SecretAccessKey: s.secret}

	// queueExists asks the engine directly, so no path's answer is trusted
	// to say what a request did.
	queueExists := func(name string) bool {
		t.Helper()
		_, err := eng.GetQueueAttributes(ctx, queues.Ref{Account: s.account, Region: region, Name: name}, nil)
		return err == nil
	}

	t.Run("JSON", func(t *testing.T) {
		tc := &tamperingClient{inner: srv.Client()}
		client := sqs.New(sqs.Options{
			Region:           region,
			BaseEndpoint:     aws.String(srv.URL),
			Credentials:      credentials.NewStaticCredentialsProvider(s.key, s.secret, ""),
			HTTPClient:       tc,
			RetryMaxAttempts: 1,
		})
		create := func(name string) error {
			_, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
			return err
		}
		if err := create("json-ok"); err != nil {
			t.Fatalf("correctly signed request refused: %v", err)
		}
		if tc.status != http.StatusOK || !queueExists("json-ok") {
			t.Fatalf("status %d, queue made: %v", tc.status, queueExists("json-ok"))
		}

		tc.tamper = func(r *http.Request) {
			r.Header.Set("Authorization", flipLast(r.Header.Get("Authorization")))
		}
		wantJSONMismatch(t, tc, create("json-sig"))

		// The body is signed (by its hash): change the queue name it carries.
		tc.tamper = func(r *http.Request) { replaceBody(t, r, "json-body", "json-bodz") }
		wantJSONMismatch(t, tc, create("json-body"))
		for _, name := range []string{"json-sig", "json-body", "json-bodz"} {
			if queueExists(name) {
				t.Fatalf("a refused request made queue %s", name)
			}
		}
	})

	t.Run("QueryPOST", func(t *testing.T) {
		post := func(name string, tamper func(r *http.Request)) *http.Response {
			form := url.Values{"Action": {"CreateQueue"}, "Version": {"2012-11-05"}, "QueueName": {name}}.Encode()
			req, err := http.NewRequest(http.MethodPost, srv.URL+"/", strings.NewReader(form))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if err := v4.NewSigner().SignHTTP(ctx, creds, req, hashOf(form), "sqs", region, time.Now()); err != nil {
				t.Fatal(err)
			}
			if tamper != nil {
				tamper(req)
			}
			return do(t, srv, req)
		}
		wantXMLOK(t, post("post-ok", nil), "post-ok")
		if !queueExists("post-ok") {
			t.Fatal("queue post-ok not made")
		}
		wantXMLMismatch(t, post("post-sig", func(r *http.Request) {
			r.Header.Set("Authorization", flipLast(r.Header.Get("Authorization")))
		}))
		wantXMLMismatch(t, post("post-body", func(r *http.Request) { replaceBody(t, r, "post-body", "post-bodz") }))
		for _, name := range []string{"post-sig", "post-body", "post-bodz"} {
			if queueExists(name) {
				t.Fatalf("a refused request made queue %s", name)
			}
		}
	})

	t.Run("QueryGET", func(t *testing.T) {
		get := func(name string, tamper func(r *http.Request)) *http.Response {
			q := url.Values{"Action": {"CreateQueue"}, "Version": {"2012-11-05"}, "QueueName": {name}}.Encode()
			req, err := http.NewRequest(http.MethodGet, srv.URL+"/?"+q, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := v4.NewSigner().SignHTTP(ctx, creds, req, hashOf(""), "sqs", region, time.Now()); err != nil {
				t.Fatal(err)
			}
			if tamper != nil {
				tamper(req)
			}
			return do(t, srv, req)
		}
		wantXMLOK(t, get("get-ok", nil), "get-ok")
		if !queueExists("get-ok") {
			t.Fatal("queue get-ok not made")
		}
		wantXMLMismatch(t, get("get-sig", func(r *http.Request) {
			r.Header.Set("Authorization", flipLast(r.Header.Get("Authorization")))
		}))
		wantXMLMismatch(t, get("get-param", func(r *http.Request) { replaceQuery(t, r, "get-param", "get-paran") }))
		for _, name := range []string{"get-sig", "get-param", "get-paran"} {
			if queueExists(name) {
				t.Fatalf("a refused request made queue %s", name)
			}
		}
	})

	t.Run("Presigned", func(t *testing.T) {
		get := func(name string, tamper func(r *http.Request)) *http.Response {
			q := url.Values{"Action": {"CreateQueue"}, "Version": {"2012-11-05"}, "QueueName": {name}, "X-Amz-Expires": {"300"}}.Encode()
			req, err := http.NewRequest(http.MethodGet, srv.URL+"/?"+q, nil)
			if err != nil {
				t.Fatal(err)
			}
			uri, _, err := v4.NewSigner().PresignHTTP(ctx, creds, req, hashOf(""), "sqs", region, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			// A presigned URL travels alone: a fresh request carries no
			// header the signer may have set.
			req, err = http.NewRequest(http.MethodGet, uri, nil)
			if err != nil {
				t.Fatal(err)
			}
			if req.Header.Get("Authorization") != "" || req.URL.Query().Get("X-Amz-Signature") == "" {
				t.Fatalf("not a presigned URL: %s", uri)
			}
			if tamper != nil {
				tamper(req)
			}
			return do(t, srv, req)
		}
		wantXMLOK(t, get("presigned-ok", nil), "presigned-ok")
		if !queueExists("presigned-ok") {
			t.Fatal("queue presigned-ok not made")
		}
		wantXMLMismatch(t, get("presigned-sig", func(r *http.Request) {
			q := r.URL.Query()
			q.Set("X-Amz-Signature", flipLast(q.Get("X-Amz-Signature")))
			r.URL.RawQuery = q.Encode()
		}))
		wantXMLMismatch(t, get("presigned-param", func(r *http.Request) {
			replaceQuery(t, r, "presigned-param", "presigned-paran")
		}))
		for _, name := range []string{"presigned-sig", "presigned-param", "presigned-paran"} {
			if queueExists(name) {
				t.Fatalf("a refused request made queue %s", name)
			}
		}
	})
}

// tamperingClient is the SDK's HTTP client: it changes each request, after
// the SDK signed it, with tamper (when set), and keeps the reply's status
// and Content-Type.
type tamperingClient struct {
	inner       *http.Client
	tamper      func(*http.Request)
	status      int
	contentType string
}

func (c *tamperingClient) Do(r *http.Request) (*http.Response, error) {
	if c.tamper != nil {
		c.tamper(r)
	}
	resp, err := c.inner.Do(r)
	if err == nil {
		c.status, c.contentType = resp.StatusCode, resp.Header.Get("Content-Type")
	}
	return resp, err
}

func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// flipLast changes the last character of s, a hex signature or a header
// ending in one, to another hex digit.
func flipLast(s string) string {
	if s == "" {
		return s
	}
	c := byte('0')
	if s[len(s)-1] == '0' {
		c = '1'
	}
	return s[:len(s)-1] + string(c)
}

// replaceBody changes from to to (the same length) in r's body.
func replaceBody(t *testing.T, r *http.Request, from, to string) {
	t.Helper()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(body, []byte(from)) || len(from) != len(to) {
		t.Fatalf("body %q lacks %q (or %q is another length)", body, from, to)
	}
	body = bytes.Replace(body, []byte(from), []byte(to), 1)
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
}

// replaceQuery changes from to to in r's query string.
func replaceQuery(t *testing.T, r *http.Request, from, to string) {
	t.Helper()
	if !strings.Contains(r.URL.RawQuery, from) {
		t.Fatalf("query %q lacks %q", r.URL.RawQuery, from)
	}
	r.URL.RawQuery = strings.Replace(r.URL.RawQuery, from, to, 1)
}

func do(t *testing.T, srv *httptest.Server, req *http.Request) *http.Response {
	t.Helper()
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

func wantJSONMismatch(t *testing.T, tc *tamperingClient, err error) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != sigv4.CodeSignatureDoesNotMatch {
		t.Fatalf("tampered request: want %s, got %v", sigv4.CodeSignatureDoesNotMatch, err)
	}
	if tc.status != http.StatusForbidden || tc.contentType != "application/x-amz-json-1.0" {
		t.Fatalf("tampered request: status %d, Content-Type %q; want 403 in JSON", tc.status, tc.contentType)
	}
}

func wantXMLOK(t *testing.T, resp *http.Response, name string) {
	t.Helper()
	body := readReply(t, resp, http.StatusOK)
	var ok struct {
		XMLName  xml.Name `xml:"CreateQueueResponse"`
		QueueURL string   `xml:"CreateQueueResult>QueueUrl"`
	}
	if err := xml.Unmarshal(body, &ok); err != nil || !strings.HasSuffix(ok.QueueURL, "/"+name) {
		t.Fatalf("not a CreateQueueResponse for %s (%v): %s", name, err, body)
	}
}

func wantXMLMismatch(t *testing.T, resp *http.Response) {
	t.Helper()
	body := readReply(t, resp, http.StatusForbidden)
	var e struct {
		XMLName xml.Name `xml:"ErrorResponse"`
		Code    string   `xml:"Error>Code"`
	}
	if err := xml.Unmarshal(body, &e); err != nil || e.Code != sigv4.CodeSignatureDoesNotMatch {
		t.Fatalf("want an XML %s error (%v): %s", sigv4.CodeSignatureDoesNotMatch, err, body)
	}
}

// readReply reads an XML reply, checking its status and that it is XML and
// not JSON.
func readReply(t *testing.T, resp *http.Response, status int) []byte {
	t.Helper()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != status || resp.Header.Get("Content-Type") != "text/xml" {
		t.Fatalf("status %d, Content-Type %q; want %d text/xml: %s", resp.StatusCode, resp.Header.Get("Content-Type"), status, body)
	}
	if json.Valid(body) {
		t.Fatalf("Query reply is JSON: %s", body)
	}
	return body
}
