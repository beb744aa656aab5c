// Package jwtauth mints and checks the control plane's bearer tokens:
// JWTs signed with HS256 (a shared secret) or EdDSA (an Ed25519 key),
// carrying a role — operator, for every tenant, or tenant-admin, for one
// account — and an expiry. Verification pins the algorithm to the key's, so
// "none" and algorithm-confusion tokens are refused.
package jwtauth

import (
	"crypto"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Role is what a token may do.
type Role string

const (
	RoleOperator    Role = "operator"     // every tenant
	RoleTenantAdmin Role = "tenant-admin" // one account's queues and keys
)

const (
	issuer   = "sluice"
	audience = "sluice-control-plane"
	// MaxTTL bounds a minted token's lifetime.
	MaxTTL = 366 * 24 * time.Hour
)

var accountPattern = regexp.MustCompile(`^[0-9]{12}$`)

// Claims are a token's claims.
type Claims struct {
	Role   Role   `json:"role"`
	Tenant string `json:"tenant,omitempty"` // account id; tenant-admin only
	jwt.RegisteredClaims
}

// Key signs and verifies tokens.
type Key struct {
	method jwt.SigningMethod
	sign   crypto.PrivateKey // []byte for HS256
	verify crypto.PublicKey  // []byte for HS256
}

// ErrInvalidToken is any token that does not verify: malformed, wrongly
// signed, of another algorithm, expired, or with bad claims.
var ErrInvalidToken = errors.New("invalid token")

// ParseKey reads a key: an Ed25519 private key in PKCS#8 PEM (EdDSA), or an
// HS256 secret of at least 32 bytes as hex or base64.
func ParseKey(text string) (*Key, error) {
	text = strings.TrimSpace(text)
	if block, _ := pem.Decode([]byte(text)); block != nil {
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("jwt key: %w", err)
		}
		priv, ok := k.(ed25519.PrivateKey)
		if !ok {
			return nil, errors.New("jwt key: a PEM key must be Ed25519")
		}
		return &Key{method: jwt.SigningMethodEdDSA, sign: priv, verify: priv.Public()}, nil
	}
	secret, err := hex.DecodeString(text)
	if err != nil {
		secret, err = base64.StdEncoding.DecodeString(text)
	}
	if err != nil || len(secret) < 32 {
		return nil, errors.New("jwt key: want an Ed25519 PKCS#8 PEM key, or an HS256 secret of at least 32 bytes as hex or base64")
	}
	return &Key{method: jwt.SigningMethodHS256, sign: secret, verify: secret}, nil
}

// Mint returns a token for role (and tenant, for tenant-admin) valid for ttl.
func (k *Key) Mint(role Role, tenant string, ttl time.Duration, now time.Time) (string, error) {
	c := Claims{Role: role, Tenant: tenant, RegisteredClaims: jwt.RegisteredClaims{
		Issuer:    issuer,
		Audience:  jwt.ClaimStrings{audience},
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	}}
	if ttl <= 0 || ttl > MaxTTL {
		return "", fmt.Errorf("ttl %v: want more than 0 and at most %v", ttl, MaxTTL)
	}
	if err := c.check(); err != nil {
		return "", err
	}
	return jwt.NewWithClaims(k.method, c).SignedString(k.sign)
}

// Verify checks a token's signature, algorithm, issuer, audience, expiry
// and claims at now. Every failure wraps ErrInvalidToken.
func (k *Key) Verify(token string, now time.Time) (*Claims, error) {
	var c Claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return k.verify, nil },
		jwt.WithValidMethods([]string{k.method.Alg()}),
		jwt.WithIssuer(issuer),
		jwt.WithAudience(audience),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	return &c, nil
}

func (c *Claims) check() error {
	switch c.Role {
	case RoleOperator:
		if c.Tenant != "" {
			return errors.New("an operator token names no tenant")
		}
	case RoleTenantAdmin:
		if !accountPattern.MatchString(c.Tenant) {
			return errors.New("a tenant-admin token needs the tenant's 12-digit account id")
		}
	default:
		return fmt.Errorf("unknown role %q: want operator or tenant-admin", c.Role)
	}
	return nil
}

// Allows reports whether the token may act on account ("" for actions on
// no single tenant, which only operators may take).
func (c *Claims) Allows(account string) bool {
	return c.Role == RoleOperator || (account != "" && c.Tenant == account)
}
