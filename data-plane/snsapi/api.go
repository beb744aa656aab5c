// Package snsapi serves the SNS API (2010-03-31) over HTTP on the same
// endpoint as SQS, in the Query protocol the AWS SDKs' SNS clients speak
// (form POST Action=...&Version=2010-03-31, XML replies with SNS's shapes
// and error codes). Requests are told apart from SQS requests by the
// signing service in their SigV4 credential scope (Route). Requests are
// authenticated (a signature scoped to service sns), admitted by the same
// gate as SQS calls, and run against the topic catalog
// (data-plane/topics) and the queue engine.
package snsapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/sluice-mq/sluice/data-plane/admission"
	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/sqsapi"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/data-plane/topics"
)

const (
	apiVersion = "2010-03-31"
	xmlns      = "http://sns.amazonaws.com/doc/2010-03-31/"
	maxBody    = 1 << 20 // a 256 KiB message, percent-encoded, with room
	maxParams  = 2000
)

// Options configures a Handler.
type Options struct {
	Engine *engine.Engine
	Topics *topics.Catalog
	// Auth verifies signatures scoped to service sns
	// (sqsauth.NewForRegions with sigv4.Options{Service: "sns"}).
	Auth sqsapi.Authenticator
	// Gate admits and meters each call; nil admits everything.
	Gate   *admission.Gate
	Logger *slog.Logger
}

// Handler serves the SNS API.
type Handler struct {
	eng    *engine.Engine
	topics *topics.Catalog
	auth   sqsapi.Authenticator
	gate   *admission.Gate
	log    *slog.Logger
}

// New returns a Handler.
func New(opts Options) (*Handler, error) {
	if opts.Engine == nil || opts.Topics == nil || opts.Auth == nil {
		return nil, errors.New("snsapi: Engine, Topics and Auth are required")
	}
	h := &Handler{eng: opts.Engine, topics: opts.Topics, auth: opts.Auth, gate: opts.Gate, log: opts.Logger}
	if h.gate == nil {
		h.gate = admission.New(admission.Options{})
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	return h, nil
}

// IsSNS reports whether a request is signed for service sns: its
// Authorization header's credential scope, or a presigned URL's
// X-Amz-Credential, names sns.
func IsSNS(r *http.Request) bool {
	if a := r.Header.Get("Authorization"); a != "" {
		_, cred, ok := strings.Cut(a, "Credential=")
		if !ok {
			return false
		}
		cred, _, _ = strings.Cut(cred, ",")
		return scopeService(cred) == "sns"
	}
	return scopeService(r.URL.Query().Get("X-Amz-Credential")) == "sns"
}

// scopeService returns the service of keyid/date/region/service/aws4_request.
func scopeService(cred string) string {
	parts := strings.Split(strings.TrimSpace(cred), "/")
	if len(parts) != 5 {
		return ""
	}
	return parts[3]
}

// Route sends requests signed for sns to the SNS handler and every other
// request to the SQS handler: both APIs share one endpoint, as the
// X-Amz-Target header (AmazonSQS.*) or the Action alone would not tell
// SNS's Query requests from SQS's.
func Route(sns, sqs http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if IsSNS(r) || isSubscribeURL(r) {
			sns.ServeHTTP(w, r)
			return
		}
		sqs.ServeHTTP(w, r)
	})
}

// Error is an SNS error on the wire.
type Error struct {
	Code    string
	Message string
	Status  int
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func newError(code, format string, args ...any) *Error {
	return toWire(sqserr.Errorf(code, format, args...))
}

// statuses are the HTTP statuses of SNS's error codes (its model's
// awsQueryError traits).
var statuses = map[string]int{
	topics.CodeNotFound:                  404,
	topics.CodeResourceNotFound:          404,
	topics.CodeInvalidParameter:          400,
	topics.CodeInvalidParameterValue:     400,
	topics.CodeAuthorizationError:        403,
	topics.CodeTopicLimitExceeded:        403,
	topics.CodeSubscriptionLimitExceeded: 403,
	topics.CodeTagLimitExceeded:          400,
	"Throttled":                          429,
	"InternalError":                      500,
	"EmptyBatchRequest":                  400,
	"TooManyEntriesInBatchRequest":       400,
	"BatchEntryIdsNotDistinct":           400,
	"InvalidBatchEntryId":                400,
	"BatchRequestTooLong":                400,
	"InvalidAction":                      400,
	"MissingAction":                      400,
	"NoSuchVersion":                      400,
	"MalformedQueryString":               400,
	"RequestEntityTooLarge":              413,
}

// toWire gives err its SNS code and status; nil for errors that are not
// the caller's (answered InternalError).
func toWire(err error) *Error {
	var we *Error
	if errors.As(err, &we) {
		return we
	}
	var ae *sqsapi.Error // authentication
	if errors.As(err, &ae) {
		return &Error{Code: ae.Code, Message: ae.Message, Status: ae.Status}
	}
	var se *sqserr.Error
	if errors.As(err, &se) {
		code := se.Code
		switch code {
		case admission.CodeThrottled:
			code = "Throttled"
		case sqserr.CodeOverLimit:
			code = topics.CodeTopicLimitExceeded
		}
		st, ok := statuses[code]
		if !ok {
			code, st = topics.CodeInvalidParameter, 400
		}
		return &Error{Code: code, Message: se.Message, Status: st}
	}
	return nil
}

// ServeHTTP answers one SNS request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := &call{h: h, r: r, requestID: newRequestID()}
	w.Header().Set("x-amzn-RequestId", c.requestID)
	out, err := c.run(r.Context())
	if err != nil {
		c.writeError(w, err)
		return
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString(`<` + c.action + `Response xmlns="` + xmlns + `">`)
	enc := xml.NewEncoder(&b)
	if out != nil {
		if err := enc.EncodeElement(out, xml.StartElement{Name: xml.Name{Local: c.action + "Result"}}); err != nil {
			h.log.Error("encode reply", "action", c.action, "error", err)
			c.writeError(w, errors.New("encode reply"))
			return
		}
	}
	_ = enc.Flush()
	b.WriteString(`<ResponseMetadata><RequestId>` + c.requestID + `</RequestId></ResponseMetadata></` + c.action + `Response>`)
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b.Bytes())
}

type call struct {
	h         *Handler
	r         *http.Request
	requestID string
	action    string
	body      []byte
	params    url.Values
	principal sqsapi.Principal
	admitted  *admission.Call
}

func (c *call) run(ctx context.Context) (any, error) {
	if c.r.ContentLength > maxBody {
		return nil, newError("RequestEntityTooLarge", "Request body must be at most %d bytes.", maxBody)
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, c.r.Body, maxBody))
	if err != nil {
		return nil, newError("RequestEntityTooLarge", "Request body must be at most %d bytes.", maxBody)
	}
	c.body = body
	if n := strings.Count(c.r.URL.RawQuery, "&") + strings.Count(string(body), "&"); n > maxParams {
		return nil, newError("MalformedQueryString", "The request has too many parameters.")
	}
	params, _ := url.ParseQuery(c.r.URL.RawQuery)
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, newError("MalformedQueryString", "The request body is not a valid form.")
	}
	for k, v := range form {
		params[k] = append(params[k], v...)
	}
	c.params = params
	c.action = params.Get("Action")
	if c.action == "" {
		return nil, newError("MissingAction", "Missing Action")
	}
	if v := params.Get("Version"); v != "" && v != apiVersion {
		return nil, newError("NoSuchVersion", "The requested version (%s) of service AmazonSNS does not exist.", v)
	}
	if c.action == "ConfirmSubscription" && unsigned(c.r) {
		// A SubscribeURL: the token is the credential, as on SNS.
		return c.confirmUnsigned(ctx)
	}
	p, err := c.h.auth.Authenticate(ctx, c.r, c.body)
	if err != nil {
		c.h.gate.Unauthenticated(admission.SQS, p.AccountID, c.action)
		return nil, err
	}
	c.principal = p
	act, ok := actions[c.action]
	if !ok {
		return nil, newError("InvalidAction", "Unknown action %s", c.action)
	}
	c.admitted, err = c.h.gate.Admit(admission.SQS, admission.Tenant{Account: p.AccountID, Quotas: p.Quotas}, c.action)
	if err != nil {
		return nil, err
	}
	out, err := act(ctx, c)
	code := ""
	if err != nil {
		if we := toWire(err); we != nil {
			code = we.Code
		} else {
			code = "InternalError"
		}
	}
	c.admitted.Done(code)
	return out, err
}

func (c *call) writeError(w http.ResponseWriter, err error) {
	we := toWire(err)
	if we == nil {
		if c.r.Context().Err() != nil {
			return
		}
		c.h.log.Error("sns request failed", "action", c.action, "account", c.principal.AccountID, "request_id", c.requestID, "error", err)
		we = &Error{Code: "InternalError", Message: "Internal Error", Status: 500}
	}
	fault := "Sender"
	if we.Status >= 500 {
		fault = "Receiver"
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString(`<ErrorResponse xmlns="` + xmlns + `"><Error><Type>` + fault + `</Type><Code>`)
	_ = xml.EscapeText(&b, []byte(we.Code))
	b.WriteString(`</Code><Message>`)
	_ = xml.EscapeText(&b, []byte(we.Message))
	b.WriteString(`</Message></Error><RequestId>` + c.requestID + `</RequestId></ErrorResponse>`)
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(we.Status)
	_, _ = w.Write(b.Bytes())
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	s := hex.EncodeToString(b[:])
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}
