package console

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/sluice-mq/sluice/data-plane/sqsapi"
	"github.com/sluice-mq/sluice/sdk/api"
	"github.com/sluice-mq/sluice/sdk/client"
	"github.com/sluice-mq/sluice/tenants"
)

// inProcessHost is the host of the console's in-process calls; nothing
// resolves it, since no call leaves the process.
const inProcessHost = "http://sluice-console.internal"

// inProcess is an http.RoundTripper (and the SQS SDK's HTTPClient) that
// serves each request with a handler in this process.
type inProcess struct {
	serve func(*http.Request) http.Handler
}

func (t inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	if r.Body == nil {
		r.Body = http.NoBody
	}
	r.RequestURI = r.URL.RequestURI()
	rec := &recorder{header: http.Header{}}
	t.serve(r).ServeHTTP(rec, r)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return &http.Response{Status: http.StatusText(rec.status), StatusCode: rec.status, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: rec.header, Body: io.NopCloser(&rec.body), ContentLength: int64(rec.body.Len()), Request: req}, nil
}

func (t inProcess) Do(req *http.Request) (*http.Response, error) { return t.RoundTrip(req) }

// recorder is the ResponseWriter of an in-process call.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

// controlClient is the control plane as the holder of token. Errors are
// answered, not retried: the user sees them and may try again.
func (c *Console) controlClient(token string) (*client.Client, error) {
	hc := &http.Client{Transport: inProcess{serve: func(*http.Request) http.Handler { return c.control }}}
	return client.New(inProcessHost, client.WithHTTPClient(hc), client.WithToken(token),
		client.WithUserAgent("sluice-console"), client.WithRetryPolicy(client.RetryPolicy{MaxAttempts: 1}))
}

// sqsBackend calls the SQS handler as a tenant.
type sqsBackend struct {
	client *sqs.Client
	region string
}

type principalKey struct{}

func newSQSBackend(h *sqsapi.Handler, region string) *sqsBackend {
	doer := inProcess{serve: func(r *http.Request) http.Handler {
		p, _ := r.Context().Value(principalKey{}).(sqsapi.Principal)
		return h.As(p)
	}}
	cl := sqs.New(sqs.Options{
		Region:       region,
		BaseEndpoint: aws.String(inProcessHost),
		// The handler skips the signature (sqsapi.Handler.As); the SDK
		// signs anyway, so it gets placeholder credentials.
		Credentials: credentials.NewStaticCredentialsProvider("CONSOLE", "console", ""),
		HTTPClient:  doer,
		Retryer:     aws.NopRetryer{},
	})
	return &sqsBackend{client: cl, region: region}
}

// as returns the client and the context to call it with as the tenant t,
// which the control plane has just shown the user may act for. A
// suspended tenant's calls are refused as SQS refuses them.
func (b *sqsBackend) as(ctx context.Context, t api.Tenant) (context.Context, error) {
	if t.Status != api.TenantStatus(tenants.StatusActive) {
		return nil, &pageError{Status: http.StatusForbidden, Code: "AccessDenied", Message: "The account " + t.AccountID + " is suspended."}
	}
	q := t.EffectiveQuotas
	p := sqsapi.Principal{AccountID: t.AccountID, AccessKeyID: "console", Region: b.region, Quotas: tenants.Quotas{
		MaxQueues: q.MaxQueues, SendPerSecond: q.SendPerSecond, ReceivePerSecond: q.ReceivePerSecond,
		DeletePerSecond: q.DeletePerSecond, AdminPerSecond: q.AdminPerSecond, MaxMessageBytes: q.MaxMessageBytes,
		MaxInFlightPerQueue: q.MaxInFlightPerQueue, MaxStoredBytes: q.MaxStoredBytes}}
	return context.WithValue(ctx, principalKey{}, p), nil
}

// pageError is an error a page shows: the API's status, code and message.
type pageError struct {
	Status  int
	Code    string
	Message string
}

func (e *pageError) Error() string { return e.Code + ": " + e.Message }

// asPageError reads the status, code and message of an API's error: the
// control plane's (*client.Error) or SQS's (smithy.APIError).
func asPageError(err error) (*pageError, bool) {
	var pe *pageError
	if errors.As(err, &pe) {
		return pe, true
	}
	var ce *client.Error
	if errors.As(err, &ce) {
		return &pageError{Status: ce.StatusCode, Code: ce.Code, Message: ce.Message}, true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		status := http.StatusBadRequest
		var re *awshttp.ResponseError
		if errors.As(err, &re) {
			status = re.HTTPStatusCode()
		}
		return &pageError{Status: status, Code: ae.ErrorCode(), Message: ae.ErrorMessage()}, true
	}
	return nil, false
}
