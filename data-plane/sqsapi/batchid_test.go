package sqsapi

import (
	"regexp"
	"strings"
	"testing"
)

// sqsBatchIDRule is SQS's documented rule for a batch entry id, as a
// regular expression: validBatchID must agree with it on every input.
var sqsBatchIDRule = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

func FuzzValidBatchIDAsSQSRule(f *testing.F) {
	for _, id := range []string{
		"", "a", "msg-1", "A_z-0", strings.Repeat("x", 80), strings.Repeat("x", 81),
		"with space", "dot.ted", "ünï", "tab\t", "new\nline", "end\n", "\x00", "é", "-", "_",
		"[", "`", "{", "@", "/", ":", "Z", "9",
	} {
		f.Add(id)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if got, want := validBatchID(id), sqsBatchIDRule.MatchString(id); got != want {
			t.Fatalf("validBatchID(%q) = %v, SQS's rule says %v", id, got, want)
		}
	})
}
