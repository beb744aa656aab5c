package client

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/sluice-mq/sluice/sdk/api"
)

// APIError is returned when the server answers with a status outside the
// 2xx range.
type APIError struct {
	// StatusCode is the HTTP status code of the response.
	StatusCode int
	// Code is the machine-readable error code from the response body (an
	// [api.Error]), or empty when the body carried none.
	Code string
	// Message is the human-readable message from the response body, or the
	// HTTP status text when the body carried none.
	Message string
}

func (e *APIError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("sluice API error: HTTP %d: %s", e.StatusCode, e.Message)
	}
	return fmt.Sprintf("sluice API error: HTTP %d %s: %s", e.StatusCode, e.Code, e.Message)
}

// newAPIError builds an APIError from a non-2xx response body. Bodies that
// are not the server's JSON error shape (a proxy's HTML page, plain text)
// fall back to the status text rather than failing, so the caller still
// learns the status code.
func newAPIError(statusCode int, body []byte) *APIError {
	apiErr := &APIError{StatusCode: statusCode}
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
