package jwtauth_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sluice-mq/sluice/control-plane/jwtauth"
)

var now = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

const hsSecret = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

func edKeyPEM(t *testing.T) string {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func mustKey(t *testing.T, text string) *jwtauth.Key {
	t.Helper()
	k, err := jwtauth.ParseKey(text)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestMintAndVerify(t *testing.T) {
	for name, text := range map[string]string{"HS256": hsSecret, "EdDSA": edKeyPEM(t)} {
		t.Run(name, func(t *testing.T) {
			k := mustKey(t, text)
			tok, err := k.Mint(jwtauth.RoleTenantAdmin, "123456789012", time.Hour, now)
			if err != nil {
				t.Fatal(err)
			}
			c, err := k.Verify(tok, now.Add(59*time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			if c.Role != jwtauth.RoleTenantAdmin || c.Tenant != "123456789012" || !c.Allows("123456789012") || c.Allows("210987654321") || c.Allows("") {
				t.Fatalf("claims = %+v", c)
			}
			if _, err := k.Verify(tok, now.Add(61*time.Minute)); !errors.Is(err, jwtauth.ErrInvalidToken) {
				t.Fatalf("expired token: %v", err)
			}
			op, err := k.Mint(jwtauth.RoleOperator, "", time.Minute, now)
			if err != nil {
				t.Fatal(err)
			}
			if c, err := k.Verify(op, now); err != nil || !c.Allows("") || !c.Allows("210987654321") {
				t.Fatalf("operator: %+v, %v", c, err)
			}
		})
	}
}

func TestVerifyRefuses(t *testing.T) {
	hs := mustKey(t, hsSecret)
	ed := mustKey(t, edKeyPEM(t))
	other := mustKey(t, strings.Repeat("ab", 32))
	good, _ := hs.Mint(jwtauth.RoleOperator, "", time.Hour, now)

	claims := jwt.MapClaims{"role": "operator", "iss": "sluice", "aud": "sluice-control-plane", "exp": now.Add(time.Hour).Unix(),
		"iat": now.Unix(), "jti": "TOKENIDTOKENIDTOKENID"}
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, claims).SignedString(jwt.UnsafeAllowNoneSignatureType)
	// Algorithm confusion: an HS256 token keyed with bytes an attacker
	// knows (an EdDSA public key) must not pass an EdDSA key.
	confused, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(make([]byte, ed25519.PublicKeySize))
	unsigned := func(c jwt.MapClaims) string {
		s, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(hsBytes())
		return s
	}
	with := func(k string, v any) jwt.MapClaims {
		c := jwt.MapClaims{}
		for kk, vv := range claims {
			c[kk] = vv
		}
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	if _, err := hs.Verify(unsigned(claims), now); err != nil {
		t.Fatalf("the claims the cases alter do not verify: %v", err)
	}
	admin := with("role", "tenant-admin")
	admin["tenant"] = "123456789012"
	if _, err := hs.Verify(unsigned(admin), now); err != nil {
		t.Fatalf("tenant-admin claims do not verify: %v", err)
	}
	withAdmin := func(k string, v any) jwt.MapClaims {
		c := jwt.MapClaims{}
		for kk, vv := range admin {
			c[kk] = vv
		}
		c[k] = v
		return c
	}
	cases := map[string]struct {
		key *jwtauth.Key
		tok string
	}{
		"garbage":               {hs, "not.a.token"},
		"alg none":              {hs, none},
		"other secret":          {other, good},
		"HS256 for EdDSA key":   {ed, confused},
		"tampered payload":      {hs, tamper(good)},
		"no expiry":             {hs, unsigned(with("exp", nil))},
		"wrong issuer":          {hs, unsigned(with("iss", "someone"))},
		"wrong audience":        {hs, unsigned(with("aud", "elsewhere"))},
		"unknown role":          {hs, unsigned(with("role", "root"))},
		"tenant-admin, no acct": {hs, unsigned(with("role", "tenant-admin"))},
		"not yet valid":         {hs, unsigned(with("nbf", now.Add(time.Hour).Unix()))},
		"no id":                 {hs, unsigned(with("jti", nil))},
		"short id":              {hs, unsigned(with("jti", "TOKENID"))},
		"id with a slash":       {hs, unsigned(with("jti", "TOKENID/TOKENID/TOKENID"))},
		"no issue time":         {hs, unsigned(with("iat", nil))},
		"operator, incarnation": {hs, unsigned(with("inc", "INCARNATIONINCARNATION"))},
		"bad incarnation":       {hs, unsigned(withAdmin("inc", "INC/ARNATION/INCARNATION"))},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if c, err := tc.key.Verify(tc.tok, now); !errors.Is(err, jwtauth.ErrInvalidToken) {
				t.Fatalf("accepted: %+v, %v", c, err)
			}
		})
	}
}

// Every token gets its own id, by which it can be revoked; a tenant-admin
// token may name its tenant's incarnation.
func TestTokenIDsAndIncarnation(t *testing.T) {
	k := mustKey(t, hsSecret)
	seen := map[string]bool{}
	for range 100 {
		tok, err := k.Mint(jwtauth.RoleOperator, "", time.Hour, now)
		if err != nil {
			t.Fatal(err)
		}
		c, err := k.Verify(tok, now)
		if err != nil {
			t.Fatal(err)
		}
		if !jwtauth.ValidID(c.ID) || seen[c.ID] || !c.IssuedAt.Equal(now) {
			t.Fatalf("token id %q (seen: %v), issued %v", c.ID, seen[c.ID], c.IssuedAt)
		}
		seen[c.ID] = true
	}
	tok, issued, err := k.Issue(jwtauth.Grant{Role: jwtauth.RoleTenantAdmin, Tenant: "123456789012", Incarnation: "INCARNATIONINCARNATION", TTL: time.Hour}, now)
	if err != nil {
		t.Fatal(err)
	}
	c, err := k.Verify(tok, now)
	if err != nil {
		t.Fatal(err)
	}
	if c.Incarnation != "INCARNATIONINCARNATION" || c.ID != issued.ID || !c.ExpiresAt.Equal(now.Add(time.Hour)) || !issued.ExpiresAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("verified %+v, issued %+v", c, issued)
	}
	for _, g := range []jwtauth.Grant{
		{Role: jwtauth.RoleOperator, Incarnation: "INCARNATIONINCARNATION", TTL: time.Hour},
		{Role: jwtauth.RoleTenantAdmin, Tenant: "123456789012", Incarnation: "short", TTL: time.Hour},
		{Role: jwtauth.RoleTenantAdmin, Tenant: "123456789012", Incarnation: "INCARNATION/INCARNATION", TTL: time.Hour},
	} {
		if _, _, err := k.Issue(g, now); err == nil {
			t.Errorf("Issue(%+v) accepted", g)
		}
	}
}

func TestParseKeyAndMintRefuse(t *testing.T) {
	for _, bad := range []string{"", "short", hsSecret[:40], "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"} {
		if _, err := jwtauth.ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q) accepted", bad)
		}
	}
	k := mustKey(t, base64.StdEncoding.EncodeToString(hsBytes()))
	for _, tc := range []struct {
		role   jwtauth.Role
		tenant string
		ttl    time.Duration
	}{
		{jwtauth.RoleOperator, "123456789012", time.Hour},
		{jwtauth.RoleTenantAdmin, "12345", time.Hour},
		{"root", "", time.Hour},
		{jwtauth.RoleOperator, "", 0},
		{jwtauth.RoleOperator, "", jwtauth.MaxTTL + time.Hour},
	} {
		if _, err := k.Mint(tc.role, tc.tenant, tc.ttl, now); err == nil {
			t.Errorf("Mint(%s, %q, %v) accepted", tc.role, tc.tenant, tc.ttl)
		}
	}
}

// hsBytes is hsSecret's bytes.
func hsBytes() []byte {
	b := make([]byte, 32)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	payload = []byte(strings.Replace(string(payload), "operator", "operatoR", 1))
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	return strings.Join(parts, ".")
}
