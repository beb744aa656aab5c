package nullsqs

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// maxRequestBytes bounds a request body: ten entries at SQS's 1 MiB
// payload limit, with room for JSON.
const maxRequestBytes = 11 << 20

const (
	jsonContentType = "application/x-amz-json-1.0"
	targetPrefix    = "AmazonSQS."
)

// apiError is an SQS error in the JSON protocol's shape.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func badRequest(code, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: code, message: fmt.Sprintf(format, args...)}
}

// ServeHTTP answers one SQS JSON 1.0 request. The whole body is read and
// decoded, as a real server must, but nothing is stored.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.calls.Add(1)
	reply, err := s.handle(r)
	if err != nil {
		writeError(w, err)
		return
	}
	out, mErr := json.Marshal(reply)
	if mErr != nil {
		writeError(w, &apiError{status: http.StatusInternalServerError, code: "InternalError", message: mErr.Error()})
		return
	}
	w.Header().Set("Content-Type", jsonContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	_, _ = w.Write(out)
}

func (s *Server) handle(r *http.Request) (any, *apiError) {
	if r.Method != http.MethodPost {
		return nil, &apiError{status: http.StatusMethodNotAllowed, code: "InvalidAction", message: "only POST is served"}
	}
	action, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	if !ok {
		return nil, badRequest("InvalidAction", "missing or foreign X-Amz-Target %q", r.Header.Get("X-Amz-Target"))
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes+1))
	if err != nil {
		return nil, badRequest("InvalidParameterValue", "read body: %v", err)
	}
	if len(body) > maxRequestBytes {
		return nil, badRequest("RequestTooLarge", "body over %d bytes", maxRequestBytes)
	}
	switch action {
	case "CreateQueue":
		return s.createQueue(body)
	case "GetQueueUrl":
		return s.getQueueURL(body)
	case "SendMessage":
		return s.sendMessage(body)
	case "SendMessageBatch":
		return s.sendMessageBatch(body)
	case "ReceiveMessage":
		return s.receiveMessage(r, body)
	case "DeleteMessage":
		return s.deleteMessage(body)
	case "DeleteMessageBatch":
		return s.deleteMessageBatch(body)
	case "PurgeQueue":
		return s.purgeQueue(body)
	case "DeleteQueue":
		return s.deleteQueue(body)
	case "GetQueueAttributes":
		return s.getQueueAttributes(body)
	default:
		return nil, badRequest("UnsupportedOperation", "nullsqs does not serve %s", action)
	}
}

// decode parses a request body into v, reporting malformed JSON as SQS
// would.
func decode(body []byte, v any) *apiError {
	if err := json.Unmarshal(body, v); err != nil {
		return badRequest("InvalidParameterValue", "malformed request: %v", err)
	}
	return nil
}

func writeError(w http.ResponseWriter, e *apiError) {
	out, _ := json.Marshal(map[string]string{
		"__type":  "com.amazonaws.sqs#" + e.code,
		"message": e.message,
	})
	w.Header().Set("Content-Type", jsonContentType)
	w.Header().Set("x-amzn-query-error", e.code+";Sender")
	w.WriteHeader(e.status)
	_, _ = w.Write(out)
}
