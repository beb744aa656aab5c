// Package msgattr implements Amazon SQS message attributes (API 2012-11-05):
// their validation with the error codes and texts SQS answers with, the size
// they add to a message, receive-side selection, and the MD5 digests SQS
// returns (MD5OfMessageBody, MD5OfMessageAttributes,
// MD5OfMessageSystemAttributes) and AWS SDKs verify.
//
// The package knows nothing of HTTP or storage; errors are *Error values
// carrying the SQS error code, which the API layer maps to a response.
//
// Sources, cited where each rule is implemented:
//   - [devguide]: Amazon SQS Developer Guide, "Message metadata"
//     (sqs-message-metadata), which defines names, data types, the Number
//     range and the MD5 algorithm.
//   - [apiref]: Amazon SQS API Reference, SendMessage and ReceiveMessage,
//     which define the body character set, MessageSystemAttributes and the
//     MessageAttributeNames filter.
//   - [localstack]: LocalStack's SQS snapshot tests
//     (tests/aws/services/sqs/test_sqs.snapshot.json), responses recorded
//     against real SQS.
package msgattr
