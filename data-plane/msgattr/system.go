package msgattr

// SystemAttributeTraceHeader is the only message system attribute SQS accepts
// on send [apiref SendMessage, MessageSystemAttributes].
const SystemAttributeTraceHeader = "AWSTraceHeader"

// ValidateSystem checks the MessageSystemAttributes of a send: only
// AWSTraceHeader, with data type exactly "String" and a non-empty value that
// obeys the body's character rules [apiref SendMessage]. All failures have
// code InvalidParameterValue. None of the texts were seen in a recorded SQS
// response.
//
// The value is not checked against the X-Ray trace header grammar: real SQS
// accepted "Root=1-678e1f8b2-...", whose epoch part has 9 hex digits instead
// of 8, in the Ballerina SQS connector's integration tests, so it evidently
// does not enforce it strictly either.
func ValidateSystem(attrs Attributes) error {
	for _, name := range sortedNames(attrs) {
		if name != SystemAttributeTraceHeader {
			return invalidParameter("Message system attribute name '%s' is invalid.", name)
		}
		v := attrs[name]
		if v.DataType != TypeString {
			return invalidParameter("The type of message system attribute '%s' is invalid. "+
				"It must be 'String'.", name)
		}
		if v.StringValue == "" || len(v.BinaryValue) > 0 {
			return invalidParameter("Message system attribute '%s' must contain a non-empty value of type 'String'.",
				name)
		}
		if c, bad := firstDisallowed(v.StringValue); bad {
			return invalidParameter("Invalid binary character '%s' was found in the message system attribute '%s' "+
				"value, the set of allowed characters is %s.", c, name, allowedCharacters)
		}
	}
	return nil
}
