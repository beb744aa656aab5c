package seal_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/sluice-mq/sluice/tenants/seal"
)

func newSealer(t *testing.T) *seal.Sealer {
	t.Helper()
	s, err := seal.New(seal.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustSeal(t *testing.T, s *seal.Sealer, plaintext, aad string) []byte {
	t.Helper()
	sealed, err := s.Seal([]byte(plaintext), []byte(aad))
	if err != nil {
		t.Fatal(err)
	}
	return sealed
}

func TestSealOpenRoundTrip(t *testing.T) {
	s := newSealer(t)
	sealed := mustSeal(t, s, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "SLKABCDEFGHIJKLMNOPQ")
	if bytes.Contains(sealed, []byte("wJalrXUtnFEMI")) {
		t.Fatal("sealed blob contains the plaintext")
	}
	got, err := s.Open(sealed, []byte("SLKABCDEFGHIJKLMNOPQ"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" {
		t.Fatalf("opened %q", got)
	}
}

func TestSealIsRandomized(t *testing.T) {
	s := newSealer(t)
	a, b := mustSeal(t, s, "secret", "id"), mustSeal(t, s, "secret", "id")
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same plaintext are identical: nonce not random")
	}
}

func TestOpenFailsWithAnotherMasterKey(t *testing.T) {
	sealed := mustSeal(t, newSealer(t), "secret", "id")
	if _, err := newSealer(t).Open(sealed, []byte("id")); !errors.Is(err, seal.ErrOpen) {
		t.Fatalf("open with another key: %v, want ErrOpen", err)
	}
}

func TestOpenFailsWithAnotherAAD(t *testing.T) {
	s := newSealer(t)
	sealed := mustSeal(t, s, "secret", "SLKAAAAAAAAAAAAAAAAA")
	for _, aad := range []string{"SLKAAAAAAAAAAAAAAAAB", "", "SLKAAAAAAAAAAAAAAAA"} {
		if _, err := s.Open(sealed, []byte(aad)); !errors.Is(err, seal.ErrOpen) {
			t.Fatalf("open with aad %q: %v, want ErrOpen", aad, err)
		}
	}
}

func TestOpenFailsOnAnyTamperedByte(t *testing.T) {
	s := newSealer(t)
	sealed := mustSeal(t, s, "secret", "id")
	for i := range sealed {
		tampered := bytes.Clone(sealed)
		tampered[i] ^= 0x01
		if _, err := s.Open(tampered, []byte("id")); !errors.Is(err, seal.ErrOpen) {
			t.Fatalf("byte %d flipped: %v, want ErrOpen", i, err)
		}
	}
}

func TestOpenFailsOnTruncatedOrEmpty(t *testing.T) {
	s := newSealer(t)
	sealed := mustSeal(t, s, "secret", "id")
	for _, n := range []int{0, 1, 12, len(sealed) - 1} {
		if _, err := s.Open(sealed[:n], []byte("id")); !errors.Is(err, seal.ErrOpen) {
			t.Fatalf("truncated to %d bytes: %v, want ErrOpen", n, err)
		}
	}
}

func TestNewRejectsWrongKeyLength(t *testing.T) {
	for _, n := range []int{0, 16, 24, 31, 33, 64} {
		if _, err := seal.New(make([]byte, n)); err == nil {
			t.Fatalf("New accepted a %d-byte key", n)
		}
	}
}
