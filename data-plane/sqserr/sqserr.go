// Package sqserr is the error type the queue catalog (data-plane/queues)
// and the engine share: a failure carrying the SQS error code the API
// layers (sqsapi, restapi) answer with. Neither producer picks HTTP
// statuses; each API layer maps the codes once.
package sqserr

import "fmt"

// Error is a failure the caller caused or must see, carrying its SQS error
// code.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Is makes errors.Is match any *Error with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Errorf returns an Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// SQS error codes the catalog and the engine produce. QueueDoesNotExist and
// QueueAlreadyExists keep their legacy wire codes.
const (
	CodeQueueDoesNotExist      = "AWS.SimpleQueueService.NonExistentQueue"
	CodeQueueAlreadyExists     = "QueueAlreadyExists"
	CodeQueueDeletedRecently   = "AWS.SimpleQueueService.QueueDeletedRecently"
	CodeInvalidParameterValue  = "InvalidParameterValue"
	CodeInvalidAttributeName   = "InvalidAttributeName"
	CodeInvalidAttributeValue  = "InvalidAttributeValue"
	CodeMissingParameter       = "MissingParameter"
	CodeMessageNotInflight     = "AWS.SimpleQueueService.MessageNotInflight"
	CodeReceiptHandleIsInvalid = "ReceiptHandleIsInvalid"
	CodePurgeQueueInProgress   = "AWS.SimpleQueueService.PurgeQueueInProgress"
	CodeUnsupportedOperation   = "AWS.SimpleQueueService.UnsupportedOperation"
	CodeInvalidMessageContents = "InvalidMessageContents"
	CodeOverLimit              = "OverLimit"
	// CodeResourceNotFound is what the message move task actions answer
	// for a missing queue or task (HTTP 404).
	CodeResourceNotFound = "ResourceNotFoundException"
)

// Sentinels for errors.Is.
var (
	ErrQueueDoesNotExist      = &Error{Code: CodeQueueDoesNotExist}
	ErrQueueAlreadyExists     = &Error{Code: CodeQueueAlreadyExists}
	ErrQueueDeletedRecently   = &Error{Code: CodeQueueDeletedRecently}
	ErrMessageNotInflight     = &Error{Code: CodeMessageNotInflight}
	ErrReceiptHandleIsInvalid = &Error{Code: CodeReceiptHandleIsInvalid}
	ErrInvalidParameterValue  = &Error{Code: CodeInvalidParameterValue}
	ErrInvalidAttributeName   = &Error{Code: CodeInvalidAttributeName}
	ErrInvalidAttributeValue  = &Error{Code: CodeInvalidAttributeValue}
	ErrPurgeQueueInProgress   = &Error{Code: CodePurgeQueueInProgress}
	ErrResourceNotFound       = &Error{Code: CodeResourceNotFound}
)

// NoQueue is the error for a queue that does not exist.
func NoQueue() *Error {
	return Errorf(CodeQueueDoesNotExist, "The specified queue does not exist.")
}
