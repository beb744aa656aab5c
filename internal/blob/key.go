package blob

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxKeyLength is the longest key accepted, in bytes. It matches the S3
// limit so that a key valid for one driver is valid for every driver.
const MaxKeyLength = 1024

// ValidateKey reports whether key is a safe, portable object key: a
// slash-separated relative path without empty, "." or ".." elements,
// backslashes or NUL bytes, in valid UTF-8 and at most MaxKeyLength bytes.
// The returned error wraps ErrInvalidKey.
func ValidateKey(key string) error {
	if reason := invalidKeyReason(key); reason != "" {
		return fmt.Errorf("%w %q: %s", ErrInvalidKey, key, reason)
	}
	return nil
}

func invalidKeyReason(key string) string {
	switch {
	case key == "":
		return "empty"
	case len(key) > MaxKeyLength:
		return fmt.Sprintf("longer than %d bytes", MaxKeyLength)
	case !utf8.ValidString(key):
		return "not valid UTF-8"
	case strings.HasPrefix(key, "/"):
		return "absolute path"
	case strings.HasSuffix(key, "/"):
		return "trailing slash"
	case strings.ContainsRune(key, '\\'):
		return "contains a backslash"
	case strings.ContainsRune(key, 0):
		return "contains a NUL byte"
	}
	for elem := range strings.SplitSeq(key, "/") {
		switch elem {
		case "":
			return "empty path element"
		case ".", "..":
			return fmt.Sprintf("%q path element", elem)
		}
	}
	return ""
}
