package api

import "time"

// CreateTokenRequest is the body of POST /v1/tenants/{account}/tokens,
// which mints a tenant-admin token for the tenant.
type CreateTokenRequest struct {
	// TTLSeconds is the token's lifetime, from 1 to 31622400 (366 days);
	// zero means a day.
	TTLSeconds int64 `json:"ttlSeconds,omitempty"`
}

// Token is a minted tenant-admin token.
type Token struct {
	// Token is the bearer JWT.
	Token string `json:"token"`
	// ID is the token's id (the jti claim), by which it can be revoked.
	ID        string    `json:"id"`
	AccountID string    `json:"accountId"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// RevokeTokenRequest is the body of POST /v1/tokens/revoke: either Token,
// or (operators only) ID with an optional ExpiresAt, by default and at
// most 366 days from now, the longest a token lives.
type RevokeTokenRequest struct {
	Token     string     `json:"token,omitempty"`
	ID        string     `json:"id,omitempty"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
}

// Revocation is a revoked token: every node refuses it within seconds.
// The revocation is kept until ExpiresAt, when the token would have
// expired anyway.
type Revocation struct {
	ID string `json:"id"`
	// AccountID is the token's account, when known.
	AccountID string    `json:"accountId,omitempty"`
	ExpiresAt time.Time `json:"expiresAt"`
	RevokedAt time.Time `json:"revokedAt"`
}
