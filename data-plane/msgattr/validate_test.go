package msgattr

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// wantError checks err is an *Error with the given code and message.
func wantError(t *testing.T, err error, code, message string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want *Error %s: %s", err, code, message)
	}
	if e.Code != code || e.Message != message {
		t.Errorf("got %s: %q\nwant %s: %q", e.Code, e.Message, code, message)
	}
}

func TestValidateAccepts(t *testing.T) {
	tests := map[string]Attributes{
		"nil":              nil,
		"empty":            {},
		"string":           {"City": str("Any City")},
		"number":           {"Price": num("1.99")},
		"binary":           {"Blob": bin([]byte{0})},
		"custom labels":    {"a": typed("Number.float", "1"), "b": typed("String.json", "{}"), "c": {DataType: "Binary.gif", BinaryValue: []byte("GIF")}},
		"label with dot":   {"a": typed("String.x.y", "v")},
		"label any chars":  {"a": typed("String.application/json; charset=utf-8", "v")},
		"name charset":     {"aZ09_-.x": str("v")},
		"name 256 chars":   {strings.Repeat("n", MaxNameLength): str("v")},
		"type 256 chars":   {"a": typed("String."+strings.Repeat("l", MaxDataTypeLength-len("String.")), "v")},
		"AWS not prefix":   {"AWSfoo": str("v"), "my.AWS.x": str("v")},
		"Amazon no dot":    {"Amazonian": str("v")},
		"ten attributes":   tenAttributes(10),
		"string allowed":   {"a": str("tab\tnl\ncr\r \uD7FF\uE000\uFFFD\U00010000\U0010FFFF")},
		"binary any bytes": {"a": bin([]byte{0, 0xff, 0xfe})},
	}
	for name, attrs := range tests {
		t.Run(name, func(t *testing.T) {
			if err := Validate(attrs); err != nil {
				t.Errorf("Validate = %v, want nil", err)
			}
		})
	}
}

func tenAttributes(n int) Attributes {
	attrs := Attributes{}
	for i := range n {
		attrs[fmt.Sprintf("attr%d", i)] = str("v")
	}
	return attrs
}

// Sources for the texts below. "Recorded" means a response from real SQS;
// everything else is marked "no recorded response found; text is ours"
// (several are worded as LocalStack or ElasticMQ word them).

func TestValidateTooMany(t *testing.T) {
	// Recorded text: SqsException "Number of message attributes [11] exceeds
	// the allowed maximum [10]." (Status Code: 400, with an AWS request id) in
	// https://github.com/open-telemetry/opentelemetry-java-instrumentation/issues/13799.
	// The code is not in that trace; InvalidParameterValue is ours, as for
	// the other attribute rules.
	wantError(t, Validate(tenAttributes(11)), CodeInvalidParameterValue,
		"Number of message attributes [11] exceeds the allowed maximum [10].")
}

func TestValidateNames(t *testing.T) {
	const badChars = "Message (user) attributes name can only contain upper and lower score characters, " +
		"digits, periods, hyphens and underscores. "
	const reserved = "You can't use message attribute names beginning with 'AWS.' or 'Amazon.'. " +
		"These strings are reserved for internal use. Additionally, they cannot start or end with '.'."
	// LocalStack's AWS-validated test_send_message_with_invalid_string_attributes
	// (localstack/localstack tests/aws/services/sqs/test_sqs.py) shows real SQS
	// refusing bad characters, reserved prefixes, a trailing period and 257
	// characters, but asserts only that the error matches "Invalid": no
	// recorded response found for any of these texts; they are ours (badChars
	// and reserved are LocalStack's wording).
	tests := []struct {
		name, attr, message string
	}{
		{"empty", "", "The request must contain non-empty message (user) attribute names."},
		{"too long", strings.Repeat("n", 257),
			"Message (user) attribute name must not be longer than 256 characters; it has 257."},
		{"space", "trace id", badChars},
		{"slash", "a/b", badChars},
		{"non-ASCII letter", "attr.1ø", badChars},
		{"AWS.", "AWS.foo", reserved},
		{"aws. any case", "aWs.foo", reserved},
		{"Amazon.", "Amazon.foo", reserved},
		{"AMAZON.", "AMAZON.foo", reserved},
		{"leading period", ".foo", reserved},
		{"trailing period", "foo.", reserved},
		{"successive periods", "a..b", "Message (user) attribute name 'a..b' must not have successive '.' characters."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, Validate(Attributes{tt.attr: str("v")}), CodeInvalidParameterValue, tt.message)
		})
	}
}

func TestValidateDataTypes(t *testing.T) {
	invalid := func(name string) string {
		return "The type of message (user) attribute '" + name + "' is invalid. " +
			"You must use only the following supported type prefixes: Binary, Number, String."
	}
	// invalid(): recorded text and code. The Ballerina SQS connector's tests
	// ran against real SQS (queue URL sqs.eu-north-1.amazonaws.com) and assert
	// InvalidParameterValue, HTTP 400 and this exact message for DataType
	// "InvalidType" (ballerina-platform/module-ballerinax-aws.sqs,
	// ballerina/tests/send_message_test.bal, testSendMessageWithInvalidAttributes).
	// Lower case, a missing dot, an empty or bad label get the same text by
	// our reading. "empty" and "too long": no recorded response found; text
	// is ours.
	tests := []struct {
		name, dataType, message string
	}{
		{"empty", "", "The message (user) attribute 'a' must contain a non-empty message attribute type."},
		{"unknown", "InvalidType", invalid("a")},
		{"lower case", "string", invalid("a")},
		{"prefix without dot", "Stringy", invalid("a")},
		{"empty label", "String.", invalid("a")},
		{"control character in label", "String.\x01", invalid("a")},
		{"too long", "String." + strings.Repeat("l", 250),
			"The type of message (user) attribute 'a' must not be longer than 256 characters; it has 257."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(Attributes{"a": {DataType: tt.dataType, StringValue: "v"}})
			wantError(t, err, CodeInvalidParameterValue, tt.message)
		})
	}
}

func TestValidateValues(t *testing.T) {
	// "empty String": recorded. LocalStack's AWS-validated
	// test_send_message_with_empty_string_attribute (localstack/localstack
	// tests/aws/services/sqs/test_sqs.py) asserts the whole error
	// {Type: Sender, Code: InvalidParameterValue, Message: this text} for
	// attribute "ErrorDetails". The Number, Binary and custom-type cases
	// reuse that text with their base type: no recorded response found.
	// "single value", "must use field", "bad number", "out of range" and the
	// character cases: no recorded response found; text is ours ("Can't
	// cast ..." as LocalStack and other emulators word it; the character text
	// is the recorded body text with "message attribute '%s' value").
	tests := []struct {
		name    string
		value   Value
		message string
	}{
		{"empty String", str(""),
			"Message (user) attribute 'ErrorDetails' must contain a non-empty value of type 'String'."},
		{"empty Number", num(""),
			"Message (user) attribute 'ErrorDetails' must contain a non-empty value of type 'Number'."},
		{"empty Binary", bin(nil),
			"Message (user) attribute 'ErrorDetails' must contain a non-empty value of type 'Binary'."},
		{"empty custom String", typed("String.json", ""),
			"Message (user) attribute 'ErrorDetails' must contain a non-empty value of type 'String'."},
		{"Binary given StringValue", Value{DataType: "Binary", StringValue: "x"},
			"Message (user) attribute 'ErrorDetails' with type 'Binary' must use field 'Binary'."},
		{"String given BinaryValue", Value{DataType: "String", BinaryValue: []byte("x")},
			"Message (user) attribute 'ErrorDetails' with type 'String' must use field 'String'."},
		{"Number given BinaryValue", Value{DataType: "Number.int", BinaryValue: []byte("1")},
			"Message (user) attribute 'ErrorDetails' with type 'Number' must use field 'String'."},
		{"both values", Value{DataType: "String", StringValue: "x", BinaryValue: []byte("x")},
			"Message (user) attribute 'ErrorDetails' must have a single value."},
		{"bad number", num("world"),
			"Can't cast the value of message (user) attribute 'ErrorDetails' to a number."},
		{"bad custom number", typed("Number.float", "1,5"),
			"Can't cast the value of message (user) attribute 'ErrorDetails' to a number."},
		{"number out of range", num("1e127"),
			"Value of message (user) attribute 'ErrorDetails' is out of range: a Number can have up to " +
				"38 digits of precision and a magnitude between 10^-128 and 10^+126."},
		{"control character", str("Invalid-\b"),
			"Invalid binary character '#x8' was found in the message attribute 'ErrorDetails' value, " +
				"the set of allowed characters is #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]."},
		{"U+FFFF in a Number", num("1\uFFFF"),
			"Invalid binary character '#xFFFF' was found in the message attribute 'ErrorDetails' value, " +
				"the set of allowed characters is #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(Attributes{"ErrorDetails": tt.value})
			wantError(t, err, CodeInvalidParameterValue, tt.message)
		})
	}
}

// With several bad attributes, the first in name order is reported.
func TestValidateReportsFirstNameInOrder(t *testing.T) {
	err := Validate(Attributes{"b": str(""), "a": num("x"), "c": str("")})
	wantError(t, err, CodeInvalidParameterValue,
		"Can't cast the value of message (user) attribute 'a' to a number.")
}

func TestErrorIsAndString(t *testing.T) {
	err := Validate(tenAttributes(11))
	if !errors.Is(err, &Error{Code: CodeInvalidParameterValue}) {
		t.Errorf("errors.Is(%v, InvalidParameterValue) = false", err)
	}
	if errors.Is(err, &Error{Code: CodeMissingParameter}) {
		t.Errorf("errors.Is(%v, MissingParameter) = true", err)
	}
	want := "InvalidParameterValue: Number of message attributes [11] exceeds the allowed maximum [10]."
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
}

func TestSize(t *testing.T) {
	attrs := Attributes{
		"City":   str("Any City"),         // 4 + 6 + 8
		"Blob":   bin([]byte{1, 2, 3}),    // 4 + 6 + 3
		"Grüße":  typed("String.de", "ü"), // 7 + 9 + 2 (UTF-8 bytes)
		"Price1": num("1.99"),             // 6 + 6 + 4
	}
	if got, want := Size(attrs), 18+13+18+16; got != want {
		t.Errorf("Size = %d, want %d", got, want)
	}
	if got := Size(nil); got != 0 {
		t.Errorf("Size(nil) = %d, want 0", got)
	}
}
