package api

// Error is the body of every error reply:
// {"error":{"code":"TenantNotFound","message":"…"}}.
type Error struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong.
type ErrorDetail struct {
	// Code is machine-readable: one of the Code constants, or on queue
	// routes the SQS error code (e.g. QueueAlreadyExists).
	Code string `json:"code"`
	// Message is for people.
	Message string `json:"message"`
}

// Error codes of the control plane's own errors. Queue routes answer with
// SQS's codes instead.
const (
	CodeUnauthorized      = "Unauthorized"      // 401: no bearer token
	CodeInvalidToken      = "InvalidToken"      // 401: invalid, expired or revoked token
	CodeForbidden         = "Forbidden"         // 403: the token may not do this
	CodeInvalidInput      = "InvalidInput"      // 400
	CodeTenantNotFound    = "TenantNotFound"    // 404
	CodeAccessKeyNotFound = "AccessKeyNotFound" // 404
	CodeTenantExists      = "TenantExists"      // 409
	CodeInternalError     = "InternalError"     // 500
)
