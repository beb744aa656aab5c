package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/sluice-mq/sluice/sdk/api"
)

// Error is returned when the server answers with a status outside the 2xx
// range. Test for kinds of failure with errors.Is and the sentinels below
// (errors.Is(err, client.ErrNotFound)), or the Is helpers; read the
// details with errors.As.
type Error struct {
	// StatusCode is the HTTP status code of the response.
	StatusCode int
	// Code is the machine-readable error code from the response body (an
	// [api.Error]): one of api's Code constants, or on queue routes SQS's
	// code (QueueDoesNotExist, QueueAlreadyExists, …); empty when the body
	// carried none.
	Code string
	// Message is the human-readable message from the response body, or the
	// HTTP status text when the body carried none.
	Message string
}

// APIError is the former name of Error.
//
// Deprecated: use Error.
type APIError = Error

// Sentinels an *Error matches with errors.Is, by its status code.
var (
	ErrNotFound     = errors.New("not found")           // 404
	ErrConflict     = errors.New("conflict")            // 409
	ErrThrottled    = errors.New("throttled")           // 429
	ErrUnauthorized = errors.New("unauthorized")        // 401
	ErrForbidden    = errors.New("forbidden")           // 403
	ErrUnavailable  = errors.New("service unavailable") // 503
)

// statusSentinels maps status codes to the sentinels they match.
var statusSentinels = map[int]error{
	http.StatusNotFound:           ErrNotFound,
	http.StatusConflict:           ErrConflict,
	http.StatusTooManyRequests:    ErrThrottled,
	http.StatusUnauthorized:       ErrUnauthorized,
	http.StatusForbidden:          ErrForbidden,
	http.StatusServiceUnavailable: ErrUnavailable,
}

func (e *Error) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("sluice API error: HTTP %d: %s", e.StatusCode, e.Message)
	}
	return fmt.Sprintf("sluice API error: HTTP %d %s: %s", e.StatusCode, e.Code, e.Message)
}

// Is makes errors.Is(err, ErrNotFound) and the like true for an Error of
// the matching status.
func (e *Error) Is(target error) bool {
	s, ok := statusSentinels[e.StatusCode]
	return ok && s == target
}

// IsNotFound reports whether err is, or wraps, an Error with status 404:
// the tenant, key, queue, invoice or plan does not exist.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// IsConflict reports whether err is, or wraps, an Error with status 409:
// the tenant or queue exists already, or (queues) was deleted too
// recently to be created again.
func IsConflict(err error) bool { return errors.Is(err, ErrConflict) }

// IsThrottled reports whether err is, or wraps, an Error with status 429:
// a rate quota refused the call, even after the client's retries.
func IsThrottled(err error) bool { return errors.Is(err, ErrThrottled) }

// newError builds an Error from a non-2xx response body. Bodies that
// are not the server's JSON error shape (a proxy's HTML page, plain text)
// fall back to the status text rather than failing, so the caller still
// learns the status code.
func newError(statusCode int, body []byte) *Error {
	apiErr := &Error{StatusCode: statusCode}
	var parsed api.Error
	if err := json.Unmarshal(body, &parsed); err == nil {
		apiErr.Code = parsed.Error.Code
		apiErr.Message = parsed.Error.Message
	}
	if apiErr.Message == "" {
		apiErr.Message = http.StatusText(statusCode)
	}
	if apiErr.Message == "" {
		apiErr.Message = "unknown status"
	}
	return apiErr
}
