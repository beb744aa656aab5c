package sqsapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqsapi"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

const (
	accountA = "111111111111"
	accountB = "222222222222"
	region   = "us-east-1"
)

// keyAuth stands in for SigV4 (tested in data-plane/sigv4): it trusts the
// access key named in the Authorization header and maps it to an account.
type keyAuth map[string]string

func (k keyAuth) Authenticate(_ context.Context, r *http.Request, _ []byte) (sqsapi.Principal, error) {
	h := r.Header.Get("Authorization")
	_, cred, ok := strings.Cut(h, "Credential=")
	if !ok {
		return sqsapi.Principal{}, errors.New("test: unsigned request")
	}
	parts := strings.Split(cred, "/")
	account, ok := k[parts[0]]
	if !ok || len(parts) < 3 {
		return sqsapi.Principal{}, errors.New("test: unknown key")
	}
	return sqsapi.Principal{AccountID: account, AccessKeyID: parts[0], Region: parts[2]}, nil
}

type server struct {
	*httptest.Server
	engine *engine.Engine
}

// newServer serves the API over store; with options changes the handler's
// options (its defaults: keys KEYA and KEYB, no rate limits).
func newServer(t testing.TB, store kv.Store, with ...func(*sqsapi.Options)) *server {
	t.Helper()
	h, e := newHandler(t, store, with...)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &server{Server: srv, engine: e}
}

func newHandler(t testing.TB, store kv.Store, with ...func(*sqsapi.Options)) (*sqsapi.Handler, *engine.Engine) {
	t.Helper()
	return newHandlerOn(t, store, engine.Options{PollInterval: 20 * time.Millisecond}, with...)
}

// newHandlerOn is newHandler with the engine's options (its receipt key
// set here).
func newHandlerOn(t testing.TB, store kv.Store, opts engine.Options, with ...func(*sqsapi.Options)) (*sqsapi.Handler, *engine.Engine) {
	t.Helper()
	opts.ReceiptKey = []byte("0123456789abcdef0123456789abcdef")
	e, err := engine.New(store, opts)
	if err != nil {
		t.Fatal(err)
	}
	e.Start(context.Background())
	t.Cleanup(func() { _ = e.Close() })
	hopts := sqsapi.Options{Engine: e, Catalog: e.Catalog(), Auth: keyAuth{"KEYA": accountA, "KEYB": accountB}}
	for _, w := range with {
		w(&hopts)
	}
	h, err := sqsapi.New(hopts)
	if err != nil {
		t.Fatal(err)
	}
	return h, e
}

// forEachDriver runs test against a server on each kv driver.
func forEachDriver(t *testing.T, test func(t *testing.T, s *server)) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) { test(t, newServer(t, store)) })
}

// client is aws-sdk-go-v2's SQS client (JSON protocol) signing with key.
func (s *server) client(key string) *sqs.Client {
	return sqs.New(sqs.Options{
		Region:       region,
		BaseEndpoint: aws.String(s.URL),
		Credentials:  credentials.NewStaticCredentialsProvider(key, "secret", ""),
		HTTPClient:   s.Client(),
	})
}

// queryPost sends a Query-protocol form post signed (in name) with key.
func (s *server) queryPost(t testing.TB, key string, params url.Values) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+"/", strings.NewReader(params.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+key+"/20261121/"+region+"/sqs/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

// wantAPIError checks err carries code (the Query code the SDK reports when
// the server sends x-amzn-query-error).
func wantAPIError(t testing.TB, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want API error %s, got %v", code, err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("want error code %s, got %s (%s)", code, ae.ErrorCode(), ae.ErrorMessage())
	}
}

var ctx = context.Background()

func refA(name string) queues.Ref {
	return queues.Ref{Account: accountA, Region: region, Name: name}
}
