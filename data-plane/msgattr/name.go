package msgattr

import (
	"strings"
	"unicode/utf8"
)

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
