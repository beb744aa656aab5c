package sqsapi

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/sluice-mq/sluice/data-plane/msgattr"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/internal/kv"
)

// Error is a failure as it goes on the wire: the Query-protocol code (the
// one SQS documents, e.g. AWS.SimpleQueueService.NonExistentQueue), the
// JSON-protocol shape name (e.g. QueueDoesNotExist), the HTTP status and
// whether the sender is at fault.
type Error struct {
	Code    string
	Shape   string
	Status  int
	Message string
	Server  bool // Receiver fault (5xx); otherwise Sender
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// errorShape is how SQS's model declares an error (smithy awsQueryError and
// httpError traits, as in aws-sdk-go-v2 service/sqs schemas): the JSON shape
// name and the HTTP status for each Query code.
type errorShape struct {
	shape  string
	status int
}

var modelled = map[string]errorShape{
	"AWS.SimpleQueueService.BatchEntryIdsNotDistinct":     {"BatchEntryIdsNotDistinct", 400},
	"AWS.SimpleQueueService.BatchRequestTooLong":          {"BatchRequestTooLong", 400},
	"AWS.SimpleQueueService.EmptyBatchRequest":            {"EmptyBatchRequest", 400},
	"AWS.SimpleQueueService.InvalidBatchEntryId":          {"InvalidBatchEntryId", 400},
	"AWS.SimpleQueueService.TooManyEntriesInBatchRequest": {"TooManyEntriesInBatchRequest", 400},
	"AWS.SimpleQueueService.MessageNotInflight":           {"MessageNotInflight", 400},
	"AWS.SimpleQueueService.PurgeQueueInProgress":         {"PurgeQueueInProgress", 403},
	"AWS.SimpleQueueService.QueueDeletedRecently":         {"QueueDeletedRecently", 400},
	"AWS.SimpleQueueService.NonExistentQueue":             {"QueueDoesNotExist", 400},
	"AWS.SimpleQueueService.UnsupportedOperation":         {"UnsupportedOperation", 400},
	"QueueAlreadyExists":                                  {"QueueNameExists", 400},
	"InvalidAddress":                                      {"InvalidAddress", 404},
	"InvalidSecurity":                                     {"InvalidSecurity", 403},
	"OverLimit":                                           {"OverLimit", 403},
	"ReceiptHandleIsInvalid":                              {"ReceiptHandleIsInvalid", 404},
	"RequestThrottled":                                    {"RequestThrottled", 403},
	"ResourceNotFoundException":                           {"ResourceNotFoundException", 404},
	"InvalidAttributeName":                                {"InvalidAttributeName", 400},
	"InvalidAttributeValue":                               {"InvalidAttributeValue", 400},
	"InvalidIdFormat":                                     {"InvalidIdFormat", 400},
	"InvalidMessageContents":                              {"InvalidMessageContents", 400},
}

// common are AWS's common errors (shared by every Query service) that SQS
// answers; anything else is a 400 sender error.
var common = map[string]int{
	"AccessDenied":                403,
	"IncompleteSignature":         400,
	"InvalidAction":               400,
	"InvalidClientTokenId":        403,
	"InvalidParameterCombination": 400,
	"InvalidParameterValue":       400,
	"InvalidQueryParameter":       400,
	"MalformedQueryString":        404,
	"MissingAction":               400,
	"MissingAuthenticationToken":  403,
	"MissingClientTokenId":        403,
	"MissingParameter":            400,
	"NoSuchVersion":               400,
	"RequestExpired":              400,
	"SignatureDoesNotMatch":       403,
	"ThrottlingException":         400,
	"SerializationException":      400,
	"UnknownOperationException":   400,
	"RequestEntityTooLarge":       413,
	"InternalFailure":             500,
	"ServiceUnavailable":          503,
}

// NewError builds the wire error for an SQS or AWS common error code; the
// status and JSON shape come from the code.
func NewError(code, format string, args ...any) *Error {
	e := &Error{Code: code, Shape: code, Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
	if m, ok := modelled[code]; ok {
		e.Shape, e.Status = m.shape, m.status
	} else if status, ok := common[code]; ok {
		e.Status = status
	}
	e.Server = e.Status >= 500
	return e
}

// fault is what the Query error Type and x-amzn-query-error say.
func (e *Error) fault() string {
	if e.Server {
		return "Receiver"
	}
	return "Sender"
}

// internalError hides what went wrong from the client; the caller logs it.
func internalError() *Error {
	return NewError("InternalFailure", "The request processing has failed because of an unknown error, exception or failure.")
}

// unavailableError answers a store that cannot serve now but recovers by
// itself (kv.ErrUnavailable: the local store's full disk). SQS documents
// ServiceUnavailable (503) as a temporary failure; SDKs retry it with
// backoff, as they do InternalFailure, but it tells the operator the
// condition passes.
func unavailableError() *Error {
	return NewError("ServiceUnavailable", "The request has failed due to a temporary failure of the server.")
}

// toWire turns any error from the engine or this package into a wire error.
// ok is false for errors the client did not cause: they are logged and
// answered with InternalFailure, or ServiceUnavailable for a store that
// recovers by itself.
func toWire(err error) (*Error, bool) {
	var we *Error
	if errors.As(err, &we) {
		return we, true
	}
	var ee *sqserr.Error
	if errors.As(err, &ee) {
		return NewError(ee.Code, "%s", ee.Message), true
	}
	var me *msgattr.Error
	if errors.As(err, &me) {
		return NewError(me.Code, "%s", me.Message), true
	}
	if errors.Is(err, kv.ErrUnavailable) {
		return unavailableError(), false
	}
	return internalError(), false
}

// Request-level errors SQS answers before an action runs.
func errMissingParameter(name string) *Error {
	return NewError("MissingParameter", "The request must contain the parameter %s.", name)
}

func errInvalidParameter(name, value, reason string) *Error {
	return NewError("InvalidParameterValue", "Value %s for parameter %s is invalid. Reason: %s", value, name, reason)
}

func errQueueDoesNotExist() *Error {
	return NewError(sqserr.CodeQueueDoesNotExist, "The specified queue does not exist.")
}

// errTooManyEntries is checkBatch's error (messages.go), also answered
// before decoding a JSON batch whose entries were counted.
func errTooManyEntries(n int) *Error {
	return NewError("AWS.SimpleQueueService.TooManyEntriesInBatchRequest", "Maximum number of entries per request are %d. You have sent %d.", maxBatchEntries, n)
}
