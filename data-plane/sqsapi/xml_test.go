package sqsapi

import (
	"bytes"
	"encoding/xml"
	"testing"
)

// FuzzEscapeAsEncodingXML: escape's shortcut for plain text writes exactly
// what xml.EscapeText writes.
func FuzzEscapeAsEncodingXML(f *testing.F) {
	for _, s := range []string{"", "plain text 123", "a&b", "<x>", `"q'`, "\r\n\t", "\x7f", "é", "\xff", "\x00", "a\u2028b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var got, want bytes.Buffer
		escape(&got, s)
		_ = xml.EscapeText(&want, []byte(s))
		if got.String() != want.String() {
			t.Fatalf("escape(%q) = %q, xml.EscapeText writes %q", s, got.String(), want.String())
		}
	})
}
