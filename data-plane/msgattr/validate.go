package msgattr

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// Validate checks the user message attributes of one message: at most
// MaxAttributes of them, and a valid name, data type and value for each.
// Attributes are checked in name order so the error reported for a request
// with several faults is deterministic. nil or empty attrs are valid.
//
// Every failure has code InvalidParameterValue; see the report on each check
// for where its text comes from.
func Validate(attrs Attributes) error {
	if len(attrs) > MaxAttributes {
		// Text used verbatim by ElasticMQ and other emulators; not seen in a
		// recorded SQS response.
		return invalidParameter("Number of message attributes [%d] exceeds the allowed maximum [%d].",
			len(attrs), MaxAttributes)
	}
	for _, name := range sortedNames(attrs) {
		if err := validateName(name); err != nil {
			return err
		}
		if err := validateValue(name, attrs[name]); err != nil {
			return err
		}
	}
	return nil
}

func sortedNames(attrs Attributes) []string {
	names := make([]string, 0, len(attrs))
	for name := range attrs {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// validateName applies the name rules [devguide]: A-Z a-z 0-9 _ - . only, up
// to 256 characters, no "AWS." or "Amazon." prefix in any casing, no leading
// or trailing period, no two periods in a row. Case-sensitivity and
// uniqueness are given by the map.
func validateName(name string) error {
	if name == "" {
		return invalidParameter("The request must contain non-empty message (user) attribute names.")
	}
	if n := utf8.RuneCountInString(name); n > MaxNameLength {
		return invalidParameter("Message (user) attribute name must not be longer than %d characters; it has %d.",
			MaxNameLength, n)
	}
	if !isNameASCII(name) {
		// Wording (trailing space included) is LocalStack's, which reads as
		// copied from SQS; not seen in a recorded SQS response.
		return invalidParameter("Message (user) attributes name can only contain upper and lower score " +
			"characters, digits, periods, hyphens and underscores. ")
	}
	lower := strings.ToLower(name)
	if strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") ||
		strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") {
		// LocalStack's wording; one message covers both rules there.
		return invalidParameter("You can't use message attribute names beginning with 'AWS.' or 'Amazon.'. " +
			"These strings are reserved for internal use. Additionally, they cannot start or end with '.'.")
	}
	if strings.Contains(name, "..") {
		return invalidParameter("Message (user) attribute name '%s' must not have successive '.' characters.", name)
	}
	return nil
}

func isNameASCII(name string) bool {
	for _, c := range []byte(name) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '_' || c == '-' || c == '.'
		if !ok {
			return false
		}
	}
	return true
}

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
