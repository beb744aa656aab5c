package provider

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// tokenAccount returns the account of a tenant-admin token, read from the
// JWT's payload without checking its signature: it only picks the default
// account, and the server checks the token on every call anyway.
func tokenAccount(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var claims struct {
		Role   string `json:"role"`
		Tenant string `json:"tenant"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Role != "tenant-admin" {
		return ""
	}
	return claims.Tenant
}
