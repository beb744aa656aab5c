package msgattr

import "fmt"

// SQS error codes this package produces.
const (
	CodeInvalidParameterValue  = "InvalidParameterValue"
	CodeInvalidMessageContents = "InvalidMessageContents"
	CodeMissingParameter       = "MissingParameter"
)

// Error is a validation failure carrying the SQS error code and the message
// SQS would send. Every failure here is the sender's fault (HTTP 400).
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Is makes errors.Is match any *Error with the same code, so callers can
// test against &Error{Code: CodeInvalidParameterValue}.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

func invalidParameter(format string, args ...any) *Error {
	return &Error{Code: CodeInvalidParameterValue, Message: fmt.Sprintf(format, args...)}
}
