// Package sigv4 verifies AWS Signature Version 4 on incoming SQS requests,
// so any AWS SDK or the AWS CLI can talk to Sluice with an access key and
// secret that the tenants catalog issued.
//
// The SQS HTTP layer reads the (bounded) body, then calls Verifier.Verify
// once per request. On success Verify says which access key signed and for
// which region; on failure it returns an *Error carrying the code, HTTP status
// and message real SQS answers with, which the layer renders in the
// request's protocol: every one is the sender's fault (Type Sender) except
// InternalFailure, a credential store outage. The layer must keep sending the
// Date response header: SDKs read it to correct a skewed clock.
//
// What is verified:
//   - Both forms of SigV4: the Authorization header, and presigned query
//     strings (X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires,
//     X-Amz-SignedHeaders, X-Amz-Signature).
//   - The credential scope: date, a well-formed region, the configured
//     service ("sqs") and the aws4_request terminator.
//   - The request time, within Options.MaxSkew either way (15 minutes, as
//     SQS). A presigned URL that carries X-Amz-Expires is valid for that many
//     seconds instead (at most Options.MaxPresignExpiry). Real SQS ignores
//     X-Amz-Expires and keeps its 15 minutes (aws/aws-sdk-ruby#2498); we
//     honour it, as a URL's author expects.
//   - The canonical request exactly as the AWS SDKs build it: the method, the
//     path as sent on the wire (URI-encoded once more, as every non-S3
//     service does; paths with dot segments or repeated slashes are also
//     tried normalised, as botocore and the JavaScript SDK sign them), the
//     query sorted by encoded name then value (a '+' is tried as a space, as
//     Go's SDK reads it, and then as a plus), every signed header (Host comes
//     from Request.Host), and the SHA-256 of the body. The host header must
//     be signed, and so must X-Amz-Target when present: it picks the action.
//   - The signature itself, compared in constant time.
//
// What is not:
//   - Temporary credentials (STS session tokens). A request carrying
//     X-Amz-Security-Token is refused with InvalidClientTokenId, the answer
//     AWS gives for a token it does not recognise, rather than being
//     verified without the token being checked.
//   - SigV4a (AWS4-ECDSA-P256-SHA256), SigV2 and streaming (chunked) payload
//     signatures: SQS clients do not send them.
//   - Authorisation: a valid signature says who signed, not what they may do.
//
// A payload hash of UNSIGNED-PAYLOAD (in a signed X-Amz-Content-Sha256 header,
// or on a presigned URL, where botocore always uses it) is accepted, and
// Identity.UnsignedPayload tells the caller the body was not covered.
//
// Sources for the error codes and texts are cited in errors.go.
package sigv4
