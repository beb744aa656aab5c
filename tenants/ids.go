package tenants

import (
	"crypto/rand"
	"encoding/base64"
	"math/big"
	"unicode"
	"unicode/utf8"
)

const (
	accountIDLen   = 12
	maxNameLen     = 80
	keyIDPrefix    = "SLK" // tells Sluice keys from AWS ones (AKIA...) at a glance
	generatedKeyID = 20    // characters, as AWS access key ids
	minKeyIDLen    = 16
	maxKeyIDLen    = 128
	minSecretLen   = 16
	maxSecretLen   = 128
	secretBytes    = 30 // 40 base64 characters, as AWS secrets
)

// newAccountID draws a 12-digit id that does not start with 0, so it
// survives being read as a number.
func newAccountID() string {
	n, err := rand.Int(rand.Reader, big.NewInt(9e11))
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	return n.Add(n, big.NewInt(1e11)).String()
}

// newAccessKeyID draws "SLK" and 17 base32 characters (85 random bits).
// Base32 (A-Z, 2-7) fits the id rules and SigV4's credential scope.
func newAccessKeyID() string {
	return keyIDPrefix + rand.Text()[:generatedKeyID-len(keyIDPrefix)]
}

// newIncarnation draws a tenant's incarnation id: 26 base32 characters
// (130 random bits), so two tenants of one account id never share one.
func newIncarnation() string { return rand.Text() }

// newSecret draws 240 bits as 40 base64 characters, like an AWS secret.
func newSecret() string {
	b := make([]byte, secretBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.StdEncoding.EncodeToString(b)
}

func validateAccountID(id string) error {
	if len(id) != accountIDLen || !allDigits(id) {
		return invalid("account id", "%q is not 12 decimal digits", id)
	}
	return nil
}

func allDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func validateName(name string) error {
	if !utf8.ValidString(name) {
		return invalid("name", "not valid UTF-8")
	}
	if n := utf8.RuneCountInString(name); n > maxNameLen {
		return invalid("name", "%d characters, at most %d allowed", n, maxNameLen)
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return invalid("name", "contains a control character")
		}
	}
	return nil
}

// validKeyID: 16 to 128 characters of [A-Z0-9], which SigV4 credential
// scopes and our key layout (no '/') both accept.
func validKeyID(id string) bool {
	if len(id) < minKeyIDLen || len(id) > maxKeyIDLen {
		return false
	}
	for i := range len(id) {
		if c := id[i]; (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func validateKeyID(id string) error {
	if !validKeyID(id) {
		return invalid("access key id", "must be %d to %d characters of A-Z and 0-9", minKeyIDLen, maxKeyIDLen)
	}
	return nil
}

// validateSecret: printable ASCII without spaces, so it can be passed in
// flags, environment variables and AWS config files unquoted.
func validateSecret(secret string) error {
	if len(secret) < minSecretLen || len(secret) > maxSecretLen {
		return invalid("secret key", "must be %d to %d characters, got %d", minSecretLen, maxSecretLen, len(secret))
	}
	for i := range len(secret) {
		if c := secret[i]; c <= ' ' || c > '~' {
			return invalid("secret key", "must be printable ASCII without spaces")
		}
	}
	return nil
}
