package seal

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ParseKey reads a master key written as 64 hex digits or as base64
// (standard or URL alphabet, padded or not) of 32 bytes. Surrounding
// whitespace is ignored.
func ParseKey(s string) ([]byte, error) {
	key, err := parseKey(s)
	if err != nil {
		return nil, fmt.Errorf("seal: master key: %w", err)
	}
	return key, nil
}

func parseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) == 2*KeySize {
		if key, err := hex.DecodeString(s); err == nil {
			return key, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if key, err := enc.DecodeString(s); err == nil && len(key) == KeySize {
			return key, nil
		}
	}
	return nil, fmt.Errorf("want 64 hex digits or base64 of %d bytes, got %d characters", KeySize, len(s))
}

// GenerateKey returns a new random master key.
func GenerateKey() []byte {
	key := make([]byte, KeySize)
	_, _ = rand.Read(key) // crypto/rand.Read never fails
	return key
}

// LoadOrCreateKeyFile returns the master key kept in the file at path,
// creating the file (mode 0600, hex) with a new random key when it does not
// exist; created reports whether it did. A file that does not hold a valid
// key is an error, never replaced: secrets sealed under the old key would
// be lost. The directory must exist. Two processes racing to create the
// file end up with the same key.
func LoadOrCreateKeyFile(path string) (key []byte, created bool, err error) {
	key, err = readKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, false, err
	}
	key = GenerateKey()
	if err := createKeyFile(path, key); err != nil {
		if errors.Is(err, fs.ErrExist) {
			// Someone else created it first: theirs wins.
			key, err = readKeyFile(path)
			return key, false, err
		}
		return nil, false, err
	}
	return key, true, nil
}

func readKeyFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("seal: read master key file: %w", err)
	}
	key, err := parseKey(string(data))
	if err != nil {
		return nil, fmt.Errorf("seal: master key file %s: %w (fix or restore the file; a new key cannot open secrets sealed under the old one)", path, err)
	}
	return key, nil
}

// createKeyFile writes the key to a temporary file and links it into
// place, so a reader never sees a half-written key and an existing file is
// never overwritten (the link fails with fs.ErrExist).
func createKeyFile(path string, key []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".masterkey-*")
	if err != nil {
		return fmt.Errorf("seal: create master key file: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	// CreateTemp makes the file 0600 already; say so for the reader.
	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("seal: create master key file: %w", err)
	}
	if _, err := tmp.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("seal: write master key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("seal: write master key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("seal: write master key file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		return fmt.Errorf("seal: create master key file: %w", err)
	}
	return syncDir(dir)
}

// syncDir makes the new directory entry durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("seal: sync key directory: %w", err)
	}
	defer func() { _ = d.Close() }()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("seal: sync key directory: %w", err)
	}
	return nil
}
