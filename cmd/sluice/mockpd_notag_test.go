//go:build !sluice_mocktikv

package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// A shipped binary refuses --pd mock:// up front, naming the build tag,
// rather than trying to reach a PD of that name.
func TestServeRefusesMockPDWithoutTag(t *testing.T) {
	const key = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	for _, tc := range []struct{ pd, want string }{
		{"mock://", "-tags sluice_mocktikv"},
		{"mock://,127.0.0.1:2379", "goes alone"},
	} {
		var stdout, stderr syncBuffer
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		code := run(ctx, []string{"serve", "--master-key", key, "--jwt-key", key, "--pd", tc.pd}, &stdout, &stderr, noEnv)
		cancel()
		if code != 1 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("--pd %s: exit %d, stderr %q; want 1 and %q", tc.pd, code, stderr.String(), tc.want)
		}
	}
}
