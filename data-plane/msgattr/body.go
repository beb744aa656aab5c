package msgattr

import (
	"fmt"
	"unicode/utf8"
)

// allowedCharacters is how SQS spells its character set in error messages.
// The wording, including the bracketed ranges and the final period, is copied
// from a real SQS rejection (see body_test.go).
const allowedCharacters = "#x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]"

// isAllowedRune reports whether SQS accepts r in a message body or a String
// attribute value: the XML 1.0 Char production [apiref SendMessage].
func isAllowedRune(r rune) bool {
	switch {
	case r == 0x9, r == 0xA, r == 0xD:
		return true
	case r >= 0x20 && r <= 0xD7FF:
		return true
	case r >= 0xE000 && r <= 0xFFFD:
		return true
	default:
		return r >= 0x10000 && r <= 0x10FFFF
	}
}

// firstDisallowed returns the first character of s that SQS rejects, written
// the way SQS writes it ("#xFFFF"), and whether there was one. A byte that is
// not valid UTF-8 is rejected too and reported by its byte value, since it
// is no character at all; but the three bytes UTF-8 would encode a surrogate
// code point with (0xED 0xA0-0xBF 0x80-0xBF) are reported as that code
// point ("#xD800"): it is how sqsapi keeps a lone surrogate escape ("\ud800")
// of a JSON request, and the escape names that code point.
func firstDisallowed(s string) (string, bool) {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			if sur, ok := surrogateAt(s[i:]); ok {
				return fmt.Sprintf("#x%X", sur), true
			}
			return fmt.Sprintf("#x%X", s[i]), true
		}
		if !isAllowedRune(r) {
			return fmt.Sprintf("#x%X", r), true
		}
		i += size
	}
	return "", false
}

// surrogateAt decodes the surrogate code point whose three-byte form
// starts s, if one does.
func surrogateAt(s string) (rune, bool) {
	if len(s) < 3 || s[0] != 0xED || s[1] < 0xA0 || s[1] > 0xBF || s[2] < 0x80 || s[2] > 0xBF {
		return 0, false
	}
	return 0xD000 | rune(s[1]&0x3F)<<6 | rune(s[2]&0x3F), true
}

// ValidateBody checks a message body: it must not be empty and may only hold
// the characters SQS allows [apiref SendMessage]. It does not check the
// length, which depends on the queue's MaximumMessageSize.
func ValidateBody(body string) error {
	if body == "" {
		// An empty body is reported as missing: verified against real SQS by
		// the Ballerina SQS connector's integration tests.
		return &Error{Code: CodeMissingParameter, Message: "The request must contain the parameter MessageBody."}
	}
	if c, bad := firstDisallowed(body); bad {
		return &Error{
			Code: CodeInvalidMessageContents,
			Message: fmt.Sprintf("Invalid binary character '%s' was found in the message body, "+
				"the set of allowed characters is %s.", c, allowedCharacters),
		}
	}
	return nil
}
