package msgattr

import "testing"

func TestValidateSystemAccepts(t *testing.T) {
	for name, attrs := range map[string]Attributes{
		"nil":   nil,
		"empty": {},
		"X-Ray": {"AWSTraceHeader": str("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")},
		// Accepted by real SQS in the Ballerina connector's integration tests.
		"loosely formatted": {"AWSTraceHeader": str("Root=1-678e1f8b2-1234567890abcdef12345678;Parent=1234567890abcdef;Sampled=1")},
	} {
		if err := ValidateSystem(attrs); err != nil {
			t.Errorf("%s: ValidateSystem = %v, want nil", name, err)
		}
	}
}

// No recorded response found for any of these texts; they are ours (worded
// as the user-attribute texts).
func TestValidateSystemRejects(t *testing.T) {
	tests := []struct {
		name    string
		attrs   Attributes
		message string
	}{
		{"unknown name", Attributes{"Hello": str("World")},
			"Message system attribute name 'Hello' is invalid."},
		{"wrong case", Attributes{"awstraceheader": str("x")},
			"Message system attribute name 'awstraceheader' is invalid."},
		{"Binary type", Attributes{"AWSTraceHeader": bin([]byte("x"))},
			"The type of message system attribute 'AWSTraceHeader' is invalid. It must be 'String'."},
		{"custom label", Attributes{"AWSTraceHeader": typed("String.xray", "x")},
			"The type of message system attribute 'AWSTraceHeader' is invalid. It must be 'String'."},
		{"empty value", Attributes{"AWSTraceHeader": str("")},
			"Message system attribute 'AWSTraceHeader' must contain a non-empty value of type 'String'."},
		{"both values", Attributes{"AWSTraceHeader": {DataType: "String", StringValue: "x", BinaryValue: []byte("x")}},
			"Message system attribute 'AWSTraceHeader' must contain a non-empty value of type 'String'."},
		{"control character", Attributes{"AWSTraceHeader": str("Root=\x00")},
			"Invalid binary character '#x0' was found in the message system attribute 'AWSTraceHeader' value, " +
				"the set of allowed characters is #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, ValidateSystem(tt.attrs), CodeInvalidParameterValue, tt.message)
		})
	}
}
