// Package testenv is how a test treats a program it needs and cannot
// find. `make test` installs every such program first (`make test-deps`,
// .ci/deps), so a missing one is a broken setup: the test fails, saying
// how to install it. SLUICE_TEST_SKIP_MISSING=1 makes it skip instead,
// except when CI is set: CI cannot pass by skipping.
//
// e2e/internal/testenv and terraform/internal/testenv are copies of this
// file for the modules that cannot import it; keep the three in step.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// SkipMissingEnv names the opt-out: set to 1, a missing dependency skips
// the test instead of failing it (ignored when CI is set).
const SkipMissingEnv = "SLUICE_TEST_SKIP_MISSING"

// Missing ends the test because what it needs is not installed: a
// failure naming install, the command that installs it, or a skip under
// the opt-out.
func Missing(t testing.TB, what, install string) {
	t.Helper()
	msg := fmt.Sprintf("%s is not installed: run `make test-deps`, or %s (or set %s=1 to skip the tests that need it)",
		what, install, SkipMissingEnv)
	if os.Getenv(SkipMissingEnv) == "1" && os.Getenv("CI") == "" {
		t.Skip(msg)
	}
	t.Fatal(msg)
}

// LookPath returns the path of the program name on $PATH, or ends the
// test through Missing.
func LookPath(t testing.TB, name, install string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		Missing(t, name, install)
	}
	return path
}
