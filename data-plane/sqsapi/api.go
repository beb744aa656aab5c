// Package sqsapi serves the SQS API (2012-11-05) over HTTP in both wire
// protocols SQS speaks: AWS JSON 1.0 (X-Amz-Target: AmazonSQS.<Action>) and
// Query (Action=...&Version=2012-11-05, XML replies). Requests are
// authenticated first, then decoded into one set of request shapes
// (types.go), run against the queue engine, and answered in the protocol
// they came in, errors included.
package sqsapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/sluice-mq/sluice/data-plane/admission"
	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqsotel"
	"github.com/sluice-mq/sluice/tenants"

	"github.com/google/uuid"
)

// Principal is who signed a request.
type Principal struct {
	AccountID   string
	AccessKeyID string
	Region      string         // from the signature's credential scope
	Quotas      tenants.Quotas // the tenant's; zero fields are unlimited
}

// Authenticator checks a request's signature and says who made it. Its
// errors should be *Error; any other error is answered as InternalFailure.
// With an error, the Principal may name the AccountID of the access key
// the request was signed with (it exists, but the request was refused):
// the call is metered as unauthenticated for that account.
type Authenticator interface {
	Authenticate(ctx context.Context, r *http.Request, body []byte) (Principal, error)
}

// Options configures a Handler.
type Options struct {
	// Engine serves the message actions, GetQueueAttributes (it counts
	// messages), DeleteQueue and PurgeQueue (they end long polls).
	Engine *engine.Engine
	// Catalog serves the other queue actions.
	Catalog *queues.Catalog
	Auth    Authenticator
	// Gate makes the quota decisions and meters each call; nil is a gate
	// over Engine's counts that meters nothing.
	Gate   *admission.Gate
	Logger *slog.Logger
	// MaxBodyBytes bounds a request body, checked before it is parsed.
	// The default, 4 MiB, fits a 1 MiB batch even percent-encoded by the
	// Query protocol, where each byte may take three.
	MaxBodyBytes int64
	// Telemetry traces and measures each call; nil records nothing.
	Telemetry *sqsotel.Calls
}

const defaultMaxBody = 4 << 20

// Handler serves the SQS API.
type Handler struct {
	engine  *engine.Engine
	catalog *queues.Catalog
	auth    Authenticator
	gate    *admission.Gate
	log     *slog.Logger
	maxBody int64
	tel     *sqsotel.Calls
	shapes  *shapes       // shared by copies (As)
	replies *replyBuffers // shared by copies (As)
}

// New returns a Handler.
func New(opts Options) (*Handler, error) {
	if opts.Engine == nil || opts.Catalog == nil || opts.Auth == nil {
		return nil, errors.New("sqsapi: Engine, Catalog and Auth are required")
	}
	h := &Handler{engine: opts.Engine, catalog: opts.Catalog, auth: opts.Auth, gate: opts.Gate, log: opts.Logger, maxBody: opts.MaxBodyBytes, tel: opts.Telemetry,
		shapes: &shapes{}, replies: &replyBuffers{}}
	if h.gate == nil {
		h.gate = admission.New(admission.Options{Counts: opts.Engine})
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.maxBody <= 0 {
		h.maxBody = defaultMaxBody
	}
	return h, nil
}

const (
	jsonContentType = "application/x-amz-json-1.0"
	targetPrefix    = "AmazonSQS."
	apiVersion      = "2012-11-05"
)

// ServeHTTP answers one SQS request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := &call{h: h, r: r, requestID: newRequestID(), json: r.Header.Get("X-Amz-Target") != ""}
	w.Header().Set("x-amzn-RequestId", c.requestID)
	ctx, tel := h.tel.Start(r.Context(), r)
	out, err := c.run(ctx)
	if err != nil {
		c.writeError(w, err)
	} else {
		c.writeResult(w, out)
	}
	if tel != nil {
		tel.End(c.telemetry(out, err))
	}
}

// call is one request on its way through the handler.
type call struct {
	h         *Handler
	r         *http.Request
	requestID string
	json      bool
	action    string
	body      []byte
	params    *queryParams // Query protocol only
	principal Principal
	admitted  *admission.Call // once authenticated and admitted
	// For telemetry (telemetry.go): the queue acted on, the sizes of the
	// messages stored, the AWSTraceHeaders of those received, the messages
	// a receive moved to the dead-letter queue.
	queue        queues.Ref
	sentSizes    []int
	traceHeaders []string
	moved        []engine.MessageMove
}

func (c *call) run(ctx context.Context) (any, error) {
	if err := c.readBody(); err != nil {
		return nil, err
	}
	if err := c.parseEnvelope(); err != nil {
		return nil, err
	}
	p, err := c.h.auth.Authenticate(ctx, c.r, c.body)
	if err != nil {
		c.h.gate.Unauthenticated(admission.SQS, p.AccountID, c.action)
		return nil, err
	}
	c.principal = p
	act, ok := actions[c.action]
	if !ok {
		if c.json {
			return nil, NewError("UnknownOperationException", "The action %s is not valid for this web service.", c.action)
		}
		return nil, NewError("InvalidAction", "The action %s is not valid for this endpoint.", c.action)
	}
	c.admitted, err = c.h.gate.Admit(admission.SQS, admission.Tenant{Account: p.AccountID, Quotas: p.Quotas}, c.action)
	if err != nil {
		return nil, err
	}
	out, err := act(ctx, c)
	code := ""
	if err != nil {
		we, _ := toWire(err)
		code = we.Code
	}
	c.admitted.Done(code)
	return out, err
}

func (c *call) readBody() error {
	if c.r.ContentLength > c.h.maxBody {
		return errTooLarge(c.h.maxBody)
	}
	body, err := readAll(http.MaxBytesReader(nil, c.r.Body, c.h.maxBody), c.r.ContentLength)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return errTooLarge(c.h.maxBody)
	}
	if err != nil {
		return NewError("MalformedQueryString", "The request body could not be read.")
	}
	c.body = body
	return nil
}

// readAll is io.ReadAll starting from a buffer of the declared length
// (when there is one), so a body is read into one allocation rather than
// grown from 512 bytes through several.
func readAll(r io.Reader, declared int64) ([]byte, error) {
	if declared <= 0 {
		return io.ReadAll(r)
	}
	b := make([]byte, 0, declared+1) // +1: the read that finds the end
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // longer than declared: grow as io.ReadAll does
		}
	}
}

func errTooLarge(limit int64) *Error {
	return NewError("RequestEntityTooLarge", "Request body must be at most %d bytes.", limit)
}

// parseEnvelope finds the action and, for Query requests, the parameters
// (URL query string plus a form body).
func (c *call) parseEnvelope() error {
	if c.json {
		target := c.r.Header.Get("X-Amz-Target")
		action, ok := strings.CutPrefix(target, targetPrefix)
		if !ok || action == "" {
			return NewError("UnknownOperationException", "The target %s is not valid for this web service.", target)
		}
		c.action = action
		return nil
	}
	if len(c.body) > 0 {
		mt, _, _ := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
		if mt != "" && mt != "application/x-www-form-urlencoded" {
			return NewError("InvalidAction", "Could not find operation: the request has no X-Amz-Target header and is not a form post.")
		}
	}
	params, err := parseQueryParams(c.r.URL.RawQuery, c.body)
	if err != nil {
		return err
	}
	c.params = params
	c.action = params.get("Action")
	if c.action == "" {
		return NewError("MissingAction", "The request must contain the parameter Action.")
	}
	if v := params.get("Version"); v != "" && v != apiVersion {
		return NewError("NoSuchVersion", "The requested version (%s) of service AmazonSQS does not exist.", v)
	}
	return nil
}

// decode fills in, a pointer to a request shape, from the request.
func (c *call) decode(in any) error {
	if !c.json {
		return decodeQuery(c.h.shapes, c.params, in)
	}
	if len(bytes.TrimSpace(c.body)) == 0 {
		return nil
	}
	switch in.(type) {
	case *sendMessageBatchInput, *deleteMessageBatchInput, *changeVisibilityBatchInput:
		if n := jsonBatchSize(c.body); n > maxBatchEntries {
			return errTooManyEntries(n)
		}
	}
	if decodeFastJSON(c.body, in) {
		return keepSentText(c.body, in)
	}
	if err := json.Unmarshal(c.body, in); err != nil {
		return NewError("SerializationException", "The request body is not valid for %s: %v", c.action, err)
	}
	return keepSentText(c.body, in)
}

func (c *call) writeResult(w http.ResponseWriter, out any) {
	b := c.h.replies.get()
	defer c.h.replies.put(b)
	if c.json {
		w.Header().Set("Content-Type", jsonContentType)
		if out == nil {
			b.WriteString("{}")
		} else if err := json.NewEncoder(b).Encode(out); err != nil {
			c.h.log.Error("encode reply", "action", c.action, "error", err)
			c.writeError(w, internalError())
			return
		}
	} else {
		w.Header().Set("Content-Type", "text/xml")
		xmlWriter{b: b, shapes: c.h.shapes}.response(c.action, c.requestID, out)
	}
	writeBody(w, http.StatusOK, b.Bytes())
}

// writeBody sends a reply whose body is complete, with its length: as
// SQS does, and without it net/http chunks any body over 2 KiB (a receive
// of 10 messages), which costs both sides framing and a write more.
func writeBody(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (c *call) writeError(w http.ResponseWriter, err error) {
	we, ok := toWire(err)
	switch {
	case ok:
	case c.r.Context().Err() != nil:
		// The client went away (a long poll given up): nothing to answer.
		c.h.log.Debug("client gone", "action", c.action, "request_id", c.requestID, "error", err)
		return
	default:
		c.h.log.Error("request failed", "action", c.action, "account", c.principal.AccountID, "request_id", c.requestID, "error", err)
	}
	var b bytes.Buffer
	if c.json {
		w.Header().Set("Content-Type", jsonContentType)
		// SQS sends the Query code on every JSON error, whether or not the
		// request said x-amzn-query-mode: SDKs from before late 2024 (Go v1
		// 1.47-1.55 among them) read it without sending query-mode.
		w.Header().Set("x-amzn-query-error", we.Code+";"+we.fault())
		namespace := "com.amazonaws.sqs#"
		if _, isCommon := common[we.Code]; isCommon {
			namespace = "com.amazon.coral.service#"
		}
		_ = json.NewEncoder(&b).Encode(map[string]string{"__type": namespace + we.Shape, "message": we.Message})
	} else {
		w.Header().Set("Content-Type", "text/xml")
		writeXMLError(&b, we, c.requestID)
	}
	writeBody(w, we.Status, b.Bytes())
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return uuid.UUID(b).String()
}
