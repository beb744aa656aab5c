package msgattr

import "testing"

func TestValidateBodyAccepts(t *testing.T) {
	for _, body := range []string{
		"x",
		"\t\n\r",
		" ~",
		"\uD7FF\uE000\uFFFD",
		"\U00010000\U0010FFFF",
		"Grüße, 世界! 🚀",
		`{"json": [1, 2]}`,
	} {
		if err := ValidateBody(body); err != nil {
			t.Errorf("ValidateBody(%q) = %v, want nil", body, err)
		}
	}
}

func TestValidateBodyEmpty(t *testing.T) {
	// Recorded code and text: the Ballerina SQS connector's test against real
	// SQS (sqs.eu-north-1.amazonaws.com) asserts MissingParameter, HTTP 400 and
	// this message (ballerina-platform/module-ballerinax-aws.sqs,
	// ballerina/tests/send_message_test.bal, testSendMessageWithEmptyMessageBody).
	wantError(t, ValidateBody(""), CodeMissingParameter, "The request must contain the parameter MessageBody.")
}

func TestValidateBodyRejects(t *testing.T) {
	const allowed = ", the set of allowed characters is #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]."
	tests := []struct {
		name, body, char string
	}{
		// Recorded text for U+FFFF: a production incident's regression test
		// quotes "The exact rejection SQS returned" word for word (a stored
		// TypeScript test of an SQS content-processor lifecycle; the search
		// index does not name its repository). Recorded code: LocalStack's
		// AWS-validated test_send_message_with_invalid_payload_characters
		// (localstack/localstack tests/aws/services/sqs/test_sqs.py) matches
		// InvalidMessageContents for a body with #x0, #x8, #x13 and #xFFFF, and
		// the SendMessage API reference names that error. The other characters
		// follow the same pattern: no recorded response found for them.
		{"U+FFFF", "pdf text \uFFFF", "#xFFFF"},
		{"NUL", "a\x00", "#x0"},
		{"backspace", "\b", "#x8"},
		{"vertical tab", "\v", "#xB"},
		{"U+FFFE", "\uFFFE", "#xFFFE"},
		{"first of several", "ok\x13\x00", "#x13"},
		{"invalid UTF-8 byte", "a\xffb", "#xFF"},
		{"lone surrogate bytes", "\xed\xa0\x80", "#xD800"},
		{"last low surrogate", "ok\xed\xbf\xbf", "#xDFFF"},
		{"truncated surrogate", "\xed\xa0", "#xED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, ValidateBody(tt.body), CodeInvalidMessageContents,
				"Invalid binary character '"+tt.char+"' was found in the message body"+allowed)
		})
	}
}
