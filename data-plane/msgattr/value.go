package msgattr

import (
	"strings"
	"unicode/utf8"
)

// validateValue checks the data type, then that exactly the field the type
// travels in is set and non-empty, then the value itself.
func validateValue(name string, v Value) error {
	if err := validateDataType(name, v.DataType); err != nil {
		return err
	}
	base := baseType(v.DataType)
	hasString, hasBinary := v.StringValue != "", len(v.BinaryValue) > 0
	switch {
	case hasString && hasBinary:
		return invalidParameter("Message (user) attribute '%s' must have a single value.", name)
	case !hasString && !hasBinary:
		// Verified for String against real SQS [localstack]
		// (test_send_message_with_empty_string_attribute).
		return invalidParameter("Message (user) attribute '%s' must contain a non-empty value of type '%s'.",
			name, base)
	case base == TypeBinary && !hasBinary:
		return invalidParameter("Message (user) attribute '%s' with type '%s' must use field 'Binary'.",
			name, base)
	case base != TypeBinary && !hasString:
		return invalidParameter("Message (user) attribute '%s' with type '%s' must use field 'String'.",
			name, base)
	}
	if base == TypeBinary {
		return nil // any bytes [devguide]
	}
	// String and Number values obey the body's character rules [devguide].
	if c, bad := firstDisallowed(v.StringValue); bad {
		// SQS answers InvalidParameterValue rather than InvalidMessageContents
		// here (LocalStack, "AWS throws a different exception here").
		return invalidParameter("Invalid binary character '%s' was found in the message attribute '%s' value, "+
			"the set of allowed characters is %s.", c, name, allowedCharacters)
	}
	if base == TypeNumber {
		return validateNumber(name, v.StringValue)
	}
	return nil
}

// validateDataType checks that dataType is a base type, optionally followed by
// "." and a non-empty custom label, up to 256 characters [devguide]. The
// label is case-sensitive and "has the same restrictions as the message body".
func validateDataType(name, dataType string) error {
	if dataType == "" {
		return invalidParameter("The message (user) attribute '%s' must contain a non-empty message attribute type.",
			name)
	}
	if n := utf8.RuneCountInString(dataType); n > MaxDataTypeLength {
		return invalidParameter("The type of message (user) attribute '%s' must not be longer than %d characters; it has %d.",
			name, MaxDataTypeLength, n)
	}
	base, label, hasLabel := strings.Cut(dataType, ".")
	_, badLabel := firstDisallowed(label)
	validBase := base == TypeString || base == TypeNumber || base == TypeBinary
	if !validBase || hasLabel && (label == "" || badLabel) {
		// Verified against real SQS by the Ballerina SQS connector's
		// integration tests.
		return invalidParameter("The type of message (user) attribute '%s' is invalid. "+
			"You must use only the following supported type prefixes: Binary, Number, String.", name)
	}
	return nil
}

func validateNumber(name, value string) error {
	switch checkNumber(value) {
	case numberMalformed:
		return invalidParameter("Can't cast the value of message (user) attribute '%s' to a number.", name)
	case numberOutOfRange:
		return invalidParameter("Value of message (user) attribute '%s' is out of range: a Number can have up to "+
			"%d digits of precision and a magnitude between 10^%d and 10^+%d.",
			name, maxNumberPrecision, minNumberMagnitude, maxNumberMagnitude)
	}
	return nil
}
