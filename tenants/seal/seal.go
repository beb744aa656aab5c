// Package seal encrypts small secrets (access-key secrets) for storage with
// AES-256-GCM under a 32-byte master key, so the store never holds them in
// clear.
//
// A sealed blob is: key version (1 byte) | nonce (12 bytes) | ciphertext and
// tag. The version byte names the master key that sealed the blob, so a
// later key rotation can open old blobs while sealing new ones under a new
// key. The version byte is authenticated together with the caller's
// additional data: binding a blob to, say, its access key id means it cannot
// be copied onto another key.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
)

// KeySize is the length of a master key in bytes (AES-256).
const KeySize = 32

// currentVersion is the key version New seals under. Rotation will add
// older versions for opening only.
const currentVersion byte = 1

// ErrOpen is returned by Open for a blob it cannot open: sealed under
// another key or other additional data, truncated or tampered with. The
// cases are not told apart, on purpose.
var ErrOpen = errors.New("seal: cannot open sealed data (wrong key, wrong additional data or tampered)")

// Sealer seals and opens blobs under one master key. It is safe for
// concurrent use.
type Sealer struct {
	version byte
	aead    cipher.AEAD // NonceSize() is 0: it draws and prepends a random nonce itself
}

// New returns a Sealer for a 32-byte master key.
func New(masterKey []byte) (*Sealer, error) {
	if len(masterKey) != KeySize {
		return nil, fmt.Errorf("seal: master key must be %d bytes, got %d", KeySize, len(masterKey))
	}
	block, err := aes.NewCipher(masterKey)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	// A random 96-bit nonce per seal: safe for far more seals than access
	// keys will ever be created under one master key.
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return &Sealer{version: currentVersion, aead: aead}, nil
}

// Seal encrypts plaintext and binds it to aad, which Open must be given
// again. Sealing the same plaintext twice gives different blobs.
func (s *Sealer) Seal(plaintext, aad []byte) ([]byte, error) {
	out := make([]byte, 1, 1+len(plaintext)+s.aead.Overhead())
	out[0] = s.version
	return s.aead.Seal(out, nil, plaintext, additionalData(s.version, aad)), nil
}

// Open decrypts a blob made by Seal with the same master key and aad. Any
// mismatch returns an error wrapping ErrOpen.
func (s *Sealer) Open(sealed, aad []byte) ([]byte, error) {
	if len(sealed) < 1+s.aead.Overhead() {
		return nil, fmt.Errorf("%w: %d bytes is too short", ErrOpen, len(sealed))
	}
	if sealed[0] != s.version {
		return nil, fmt.Errorf("%w: sealed under key version %d, this key is version %d", ErrOpen, sealed[0], s.version)
	}
	plaintext, err := s.aead.Open(nil, nil, sealed[1:], additionalData(sealed[0], aad))
	if err != nil {
		return nil, ErrOpen
	}
	return plaintext, nil
}

// additionalData authenticates the version byte along with the caller's
// data, so it cannot be changed to point at another key.
func additionalData(version byte, aad []byte) []byte {
	return append([]byte{version}, aad...)
}
