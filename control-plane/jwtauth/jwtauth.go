// Package jwtauth mints and checks the control plane's bearer tokens:
// JWTs signed with HS256 (a shared secret) or EdDSA (an Ed25519 key),
// carrying a role — operator, for every tenant, or tenant-admin, for one
// account — an expiry, and a random id (jti) by which the control plane can
// revoke the token. Verification pins the algorithm to the key's, so "none"
// and algorithm-confusion tokens are refused.
//
// Whether a verified token is still good — not revoked, and for a
// tenant-admin token, issued to the tenant that now holds its account id —
// needs the store; the control plane asks tenants.Catalog.CheckToken.
package jwtauth

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
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

var (
	accountPattern = regexp.MustCompile(`^[0-9]{12}$`)
	// idPattern is what a token id or an incarnation id may look like:
	// short, and without the '/' of the store's key layout.
	idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{16,128}$`)
)

// ValidID reports whether id may be a token id (jti) or a tenant's
// incarnation id.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// Claims are a token's claims. RegisteredClaims.ID (jti) and IssuedAt are
// always set.
type Claims struct {
	Role   Role   `json:"role"`
	Tenant string `json:"tenant,omitempty"` // account id; tenant-admin only
	// Incarnation is the tenant's incarnation id (tenants.Tenant.Incarnation)
	// when the minter could read it; tenant-admin only. Without it the token
	// holds only for a tenant created before the token was issued.
	Incarnation string `json:"inc,omitempty"`
	jwt.RegisteredClaims
}

// Grant is what a token lets its bearer do, and for how long.
type Grant struct {
	Role        Role
	Tenant      string // tenant-admin: the 12-digit account id
	Incarnation string // tenant-admin, optional: the tenant's incarnation id
	TTL         time.Duration
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

// Mint returns a token for role (and tenant, for tenant-admin) valid for
// ttl, with a fresh id.
func (k *Key) Mint(role Role, tenant string, ttl time.Duration, now time.Time) (string, error) {
	token, _, err := k.Issue(Grant{Role: role, Tenant: tenant, TTL: ttl}, now)
	return token, err
}

// Issue mints a token for g with a fresh random id and returns it with its
// claims, for callers that report the id or the expiry.
func (k *Key) Issue(g Grant, now time.Time) (string, *Claims, error) {
	if g.TTL <= 0 || g.TTL > MaxTTL {
		return "", nil, fmt.Errorf("ttl %v: want more than 0 and at most %v", g.TTL, MaxTTL)
	}
	c := &Claims{Role: g.Role, Tenant: g.Tenant, Incarnation: g.Incarnation, RegisteredClaims: jwt.RegisteredClaims{
		ID:        rand.Text(), // 26 base32 characters, 130 random bits
		Issuer:    issuer,
		Audience:  jwt.ClaimStrings{audience},
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(g.TTL)),
	}}
	if err := c.check(); err != nil {
		return "", nil, err
	}
	token, err := jwt.NewWithClaims(k.method, c).SignedString(k.sign)
	if err != nil {
		return "", nil, fmt.Errorf("sign token: %w", err)
	}
	return token, c, nil
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

// check holds for the claims Issue writes. Tokens without an id, which
// this package minted before ids existed, are refused: they could not be
// revoked.
func (c *Claims) check() error {
	switch c.Role {
	case RoleOperator:
		if c.Tenant != "" || c.Incarnation != "" {
			return errors.New("an operator token names no tenant")
		}
	case RoleTenantAdmin:
		if !accountPattern.MatchString(c.Tenant) {
			return errors.New("a tenant-admin token needs the tenant's 12-digit account id")
		}
		if c.Incarnation != "" && !ValidID(c.Incarnation) {
			return errors.New("malformed tenant incarnation id")
		}
	default:
		return fmt.Errorf("unknown role %q: want operator or tenant-admin", c.Role)
	}
	if !ValidID(c.ID) {
		return errors.New("a token needs an id (jti) of 16 to 128 characters of A-Z, a-z, 0-9, _ and -")
	}
	if c.IssuedAt == nil {
		return errors.New("a token needs its issue time (iat)")
	}
	return nil
}

// Allows reports whether the token may act on account ("" for actions on
// no single tenant, which only operators may take).
func (c *Claims) Allows(account string) bool {
	return c.Role == RoleOperator || (account != "" && c.Tenant == account)
}
