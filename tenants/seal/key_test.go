package seal_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sluice-mq/sluice/tenants/seal"
)

func TestParseKeyAcceptsHexAndBase64(t *testing.T) {
	key := seal.GenerateKey()
	for name, s := range map[string]string{
		"hex":            hex.EncodeToString(key),
		"upper hex":      strings.ToUpper(hex.EncodeToString(key)),
		"base64":         base64.StdEncoding.EncodeToString(key),
		"raw base64":     base64.RawStdEncoding.EncodeToString(key),
		"url base64":     base64.URLEncoding.EncodeToString(key),
		"raw url base64": base64.RawURLEncoding.EncodeToString(key),
		"surrounded":     "  " + hex.EncodeToString(key) + "\n",
	} {
		got, err := seal.ParseKey(s)
		if err != nil {
			t.Fatalf("%s %q: %v", name, s, err)
		}
		if !bytes.Equal(got, key) {
			t.Fatalf("%s: got %x, want %x", name, got, key)
		}
	}
}

func TestParseKeyRejectsOtherLengths(t *testing.T) {
	for name, s := range map[string]string{
		"empty":          "",
		"31 bytes hex":   hex.EncodeToString(make([]byte, 31)),
		"33 bytes hex":   hex.EncodeToString(make([]byte, 33)),
		"63 hex digits":  hex.EncodeToString(make([]byte, 32))[:63],
		"64 non-hex":     strings.Repeat("g", 64),
		"31 bytes b64":   base64.StdEncoding.EncodeToString(make([]byte, 31)),
		"33 bytes b64":   base64.StdEncoding.EncodeToString(make([]byte, 33)),
		"48 bytes b64":   base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xff}, 48)),
		"raw 32 bytes":   string(make([]byte, 32)),
		"hex with space": hex.EncodeToString(make([]byte, 16)) + " " + hex.EncodeToString(make([]byte, 16)),
	} {
		if key, err := seal.ParseKey(s); err == nil {
			t.Fatalf("%s: accepted, key %x", name, key)
		}
	}
}

func TestLoadOrCreateKeyFileCreatesOnceAndReadsBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	key, created, err := seal.LoadOrCreateKeyFile(path)
	if err != nil || !created || len(key) != seal.KeySize {
		t.Fatalf("first call: key %x created %v err %v", key, created, err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Fatalf("mode %v, want 0600", perm)
	}
	again, created, err := seal.LoadOrCreateKeyFile(path)
	if err != nil || created {
		t.Fatalf("second call: created %v err %v", created, err)
	}
	if !bytes.Equal(again, key) {
		t.Fatalf("second call read %x, want %x", again, key)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Fatalf("directory holds %d entries, want only the key file", len(entries))
	}
}

func TestLoadOrCreateKeyFileReadsAGivenKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	key := seal.GenerateKey()
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, created, err := seal.LoadOrCreateKeyFile(path)
	if err != nil || created || !bytes.Equal(got, key) {
		t.Fatalf("got %x created %v err %v, want %x", got, created, err, key)
	}
}

func TestLoadOrCreateKeyFileRefusesBadContents(t *testing.T) {
	for name, contents := range map[string]string{
		"empty":     "",
		"short":     "abcdef",
		"truncated": hex.EncodeToString(make([]byte, 32))[:40],
	} {
		path := filepath.Join(t.TempDir(), "master.key")
		if err := os.WriteFile(path, []byte(contents), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, _, err := seal.LoadOrCreateKeyFile(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Fatalf("%s: err %v, want an error naming the file", name, err)
		}
		if got, _ := os.ReadFile(path); string(got) != contents {
			t.Fatalf("%s: file rewritten to %q", name, got)
		}
	}
}

func TestLoadOrCreateKeyFileRaceAgreesOnOneKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	const n = 8
	keys := make([][]byte, n)
	created := make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var err error
			keys[i], created[i], err = seal.LoadOrCreateKeyFile(path)
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	creators := 0
	for i := range n {
		if created[i] {
			creators++
		}
		if !bytes.Equal(keys[i], keys[0]) {
			t.Fatalf("caller %d got %x, caller 0 got %x", i, keys[i], keys[0])
		}
	}
	if creators != 1 {
		t.Fatalf("%d callers created the file, want 1", creators)
	}
}

func TestLoadOrCreateKeyFileMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "master.key")
	if _, _, err := seal.LoadOrCreateKeyFile(path); err == nil {
		t.Fatal("created a key file in a missing directory")
	}
}
