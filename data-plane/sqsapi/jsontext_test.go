package sqsapi

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// asJSONReads turns a string kept by unquoteAsSent from a literal that was
// valid UTF-8 into what encoding/json reads from that literal: each kept
// surrogate (three bytes, from one escape) is one U+FFFD.
func asJSONReads(kept string) string {
	var b strings.Builder
	for i := 0; i < len(kept); {
		r, size := utf8.DecodeRuneInString(kept[i:])
		if r == utf8.RuneError && size == 1 {
			r, size = utf8.RuneError, 3 // only surrogates are kept invalid here
		}
		b.WriteRune(r)
		i += size
	}
	return b.String()
}

// FuzzUnquoteAsSent checks the strict reading of JSON strings against
// encoding/json: the same string whenever jsonAltersText says encoding/json
// changes nothing; otherwise a string msgattr refuses (not valid UTF-8)
// that differs from encoding/json's only where encoding/json put U+FFFD.
func FuzzUnquoteAsSent(f *testing.F) {
	for _, s := range []string{
		`plain`, `a\ud800b`, `\udc00`, `\ud83d\ude00`, `\uD83D\uDE00`, `\udc00\ud800`, `\ud800\u0041`,
		`\ud800\ud800\udc00`, `\\ud800`, `\\\ud800`, `\"\/\b\f\n\r\t\u00e9`, "a\xffb", "\xed\xa0\x80", "\uFFFD", `\ud800`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lit := []byte(`"` + s + `"`)
		if !json.Valid(lit) {
			return
		}
		var std string
		if err := json.Unmarshal(lit, &std); err != nil {
			t.Fatal(err)
		}
		kept, ok := unquoteAsSent(lit)
		if !ok {
			t.Fatalf("%q: not read as a string", lit)
		}
		if !jsonAltersText(lit) {
			if kept != std {
				t.Fatalf("%q: read as %q, encoding/json reads %q", lit, kept, std)
			}
			return
		}
		if utf8.ValidString(kept) {
			t.Fatalf("%q: encoding/json changes it, but it was read as valid text %q", lit, kept)
		}
		if utf8.Valid(lit) && asJSONReads(kept) != std {
			t.Fatalf("%q: read as %q, which is not encoding/json's %q but for the surrogates", lit, kept, std)
		}
	})
}
