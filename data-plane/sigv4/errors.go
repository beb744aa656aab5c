package sigv4

import (
	"fmt"
	"net/http"
	"time"
)

// Error codes Verify returns. Sources:
//   - [common]: Amazon SQS API Reference, "Common Errors" (CommonErrors.html):
//     IncompleteSignature 400, InvalidClientTokenId 403, InternalFailure 500.
//   - [sqs2009]: Amazon SQS API Reference 2009-02-01, "Common Errors"
//     (Query_QueryErrors.html): MissingClientTokenId 403 "Request must contain
//     AWSAccessKeyId or X.509 certificate.", also in SQS ErrorResponse
//     fixtures of SQS client libraries. The current common page lists the
//     generic MissingAuthenticationToken instead; we keep SQS's own code.
//   - [sqs-wire]: SQS ErrorResponse bodies quoted in SDK issues:
//     aws/aws-sdk-php#642 and aws/aws-sdk-go#487 (403 SignatureDoesNotMatch
//     "Signature expired: ... is now earlier than ... (... - 15 min.)"),
//     boto/boto#3690 and ixixi/fluent-plugin-sqs#50 (403 SignatureDoesNotMatch
//     "Credential should be scoped to a valid region, not 'queue'. "),
//     ex-aws/ex_aws#220 (403 InvalidClientTokenId "The security token
//     included in the request is invalid."), and an SQS client raising
//     IncompleteSignature "Credential must have exactly 5 slash-delimited
//     elements" (YumaInaura/YumaInaura#2416).
//   - [iam-troubleshoot]: IAM User Guide, "Troubleshoot signed requests"
//     (signature-v4-troubleshooting.html): the credential scope and
//     "Signature not yet current" texts.
//   - [authz-texts]: IncompleteSignature texts AWS query and JSON services
//     answer, quoted in aws/aws-sdk-ruby#317, brendanhay/amazonka#316,
//     aws/aws-sdk-go#289 and aws/aws-sdk-php#2469.
const (
	CodeIncompleteSignature   = "IncompleteSignature"
	CodeInvalidClientTokenID  = "InvalidClientTokenId"
	CodeMissingClientTokenID  = "MissingClientTokenId"
	CodeSignatureDoesNotMatch = "SignatureDoesNotMatch"
	CodeInternalFailure       = "InternalFailure"
)

const (
	msgSignatureDoesNotMatch = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgInvalidClientTokenID = "The security token included in the request is invalid."
	msgMissingClientTokenID = "Request must contain AWSAccessKeyId or X.509 certificate."
	msgInternalFailure      = "The request processing has failed because of an unknown error, exception or failure."
)

// Error is a verification failure: the SQS error code, the HTTP status and
// the message SQS sends with it. A credential store failure also carries its
// cause, reachable through errors.Unwrap.
type Error struct {
	Code    string
	Message string
	Status  int
	// AccessKeyID names the access key a request was signed with when the
	// key exists but the signature is wrong; "" otherwise.
	AccessKeyID string

	cause error
}

func (e *Error) Error() string {
	if e.cause != nil {
		return "sigv4: " + e.Code + ": " + e.Message + ": " + e.cause.Error()
	}
	return "sigv4: " + e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.cause }

// Is makes errors.Is match any *Error with the same code, so callers can
// test against &Error{Code: CodeSignatureDoesNotMatch}.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// incomplete is a malformed or partial signature [common], [authz-texts].
func incomplete(format string, args ...any) *Error {
	return &Error{Code: CodeIncompleteSignature, Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}

// mismatch is SQS's answer both to a wrong signature and to a signature that
// cannot be right: wrong scope, expired, not yet current [sqs-wire]. SDKs
// treat this code as a possible clock skew and retry with a corrected clock
// when the response Date header shows one (aws-sdk-go-v2 aws/retry
// clockSkewCodes; aws-sdk-js-v3 CLOCK_SKEW_ERROR_CODES), so the HTTP layer
// must keep sending Date.
func mismatch(format string, args ...any) *Error {
	return &Error{Code: CodeSignatureDoesNotMatch, Status: http.StatusForbidden, Message: fmt.Sprintf(format, args...)}
}

func signatureDoesNotMatch() *Error {
	return &Error{Code: CodeSignatureDoesNotMatch, Status: http.StatusForbidden, Message: msgSignatureDoesNotMatch}
}

// invalidClientToken answers an unknown or disabled access key, and a session
// token we do not accept [common], [sqs-wire].
func invalidClientToken() *Error {
	return &Error{Code: CodeInvalidClientTokenID, Status: http.StatusForbidden, Message: msgInvalidClientTokenID}
}

// missingAuthentication answers a request with no signature at all [sqs2009].
func missingAuthentication() *Error {
	return &Error{Code: CodeMissingClientTokenID, Status: http.StatusForbidden, Message: msgMissingClientTokenID}
}

func internalFailure(cause error) *Error {
	return &Error{Code: CodeInternalFailure, Status: http.StatusInternalServerError, Message: msgInternalFailure, cause: cause}
}

// signatureExpired and signatureNotYetCurrent use SQS's wording, with the
// window in minutes as SQS prints it [sqs-wire], [iam-troubleshoot].
func signatureExpired(signed, now time.Time, window time.Duration) *Error {
	return mismatch("Signature expired: %s is now earlier than %s (%s - %s)",
		signed.UTC().Format(amzDateLayout), now.Add(-window).UTC().Format(amzDateLayout),
		now.UTC().Format(amzDateLayout), windowText(window))
}

func signatureNotYetCurrent(signed, now time.Time, window time.Duration) *Error {
	return mismatch("Signature not yet current: %s is still later than %s (%s + %s)",
		signed.UTC().Format(amzDateLayout), now.Add(window).UTC().Format(amzDateLayout),
		now.UTC().Format(amzDateLayout), windowText(window))
}

func windowText(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d min.", d/time.Minute)
	}
	return fmt.Sprintf("%d sec.", d/time.Second)
}
