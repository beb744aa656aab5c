//go:build !race

// Allocation counts: the race detector's instrumentation allocates, so
// these run without it.

package msgattr

import (
	"strings"
	"testing"
)

// A message without attributes is the common case: checking and digesting
// its (absent) attributes must not allocate, and the body digest of bytes
// allocates only its result.
func TestNoAttributesAllocateNothing(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage counters change allocation counts")
	}
	checks := map[string]func(){
		"Validate":        func() { _ = Validate(Attributes{}) },
		"ValidateSystem":  func() { _ = ValidateSystem(Attributes{}) },
		"MD5OfAttributes": func() { _ = MD5OfAttributes(nil) },
	}
	for name, f := range checks {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s of no attributes: %.0f allocations, want 0", name, n)
		}
	}
	body := []byte(strings.Repeat("x", 256))
	if n := testing.AllocsPerRun(100, func() { _ = MD5OfBodyBytes(body) }); n != 1 {
		t.Errorf("MD5OfBodyBytes: %.0f allocations, want 1 (the hex string)", n)
	}
	if got, want := MD5OfBodyBytes(body), MD5OfBody(string(body)); got != want {
		t.Errorf("MD5OfBodyBytes = %s, MD5OfBody = %s", got, want)
	}
}
