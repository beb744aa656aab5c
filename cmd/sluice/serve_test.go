package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// `sluice serve` refuses key files that group or others can open, naming
// the flag and the fix; private ones get past the check (to fail later on
// the missing --pd).
func TestServeRefusesKeyFilesOthersCanRead(t *testing.T) {
	const key = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	dir := t.TempDir()
	keyFile := func(name string, mode os.FileMode) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil { // umask aside
			t.Fatal(err)
		}
		return path
	}
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"master key 0644", []string{"--master-key-file", keyFile("m644", 0o644), "--jwt-key", key}, []string{"--master-key-file", "mode 0644", "chmod 600", "SLUICE_MASTER_KEY"}},
		{"master key 0640", []string{"--master-key-file", keyFile("m640", 0o640), "--jwt-key", key}, []string{"--master-key-file", "mode 0640", "chmod 600"}},
		{"master key 0602", []string{"--master-key-file", keyFile("m602", 0o602), "--jwt-key", key}, []string{"--master-key-file", "mode 0602", "chmod 600"}},
		{"jwt key 0644", []string{"--master-key", key, "--jwt-key-file", keyFile("j644", 0o644)}, []string{"--jwt-key-file", "mode 0644", "chmod 600", "SLUICE_JWT_KEY"}},
		{"jwt key ignored by the data plane", []string{"--role", "data-plane", "--master-key", key, "--jwt-key-file", keyFile("j644b", 0o644)}, []string{"--pd"}},
		{"master key 0600", []string{"--master-key-file", keyFile("m600", 0o600), "--jwt-key", key}, []string{"--pd"}},
		{"both 0400", []string{"--master-key-file", keyFile("m400", 0o400), "--jwt-key-file", keyFile("j400", 0o400)}, []string{"--pd"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr syncBuffer
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			code := run(ctx, append([]string{"serve"}, tc.args...), &stdout, &stderr, noEnv)
			for _, w := range tc.want {
				if code != 1 || !strings.Contains(stderr.String(), w) {
					t.Fatalf("exit %d, stderr %q, want 1 and a mention of %q", code, stderr.String(), w)
				}
			}
		})
	}
}
