package restapi

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sluice-mq/sluice/control-plane/jwtauth"
	"github.com/sluice-mq/sluice/sdk/api"
	"github.com/sluice-mq/sluice/tenants"
)

// defaultTokenTTL is the lifetime of a token createToken mints when the
// request names none, as `sluice token create`'s default.
const defaultTokenTTL = 24 * time.Hour

// createToken mints a tenant-admin token bound to the tenant's incarnation,
// so it never holds for a later tenant given the same account id, however
// the nodes' clocks disagree. Tokens minted offline (`sluice token create`)
// cannot read the incarnation and go by their issue time instead.
func (a *API) createToken(c echo.Context) error {
	var in api.CreateTokenRequest
	maxSeconds := int64(jwtauth.MaxTTL / time.Second)
	if err := bind(c, &in); err != nil || in.TTLSeconds < 0 || in.TTLSeconds > maxSeconds {
		return badRequest(c, "The body may set ttlSeconds, from 1 to 31622400 (366 days).")
	}
	ttl := defaultTokenTTL
	if in.TTLSeconds > 0 {
		ttl = time.Duration(in.TTLSeconds) * time.Second
	}
	t, err := a.catalog.GetTenant(c.Request().Context(), c.Param("account"))
	if err != nil {
		return a.catalogError(c, err)
	}
	token, claims, err := a.key.Issue(jwtauth.Grant{Role: jwtauth.RoleTenantAdmin, Tenant: t.AccountID, Incarnation: t.Incarnation, TTL: ttl}, a.clock())
	if err != nil {
		return a.catalogError(c, err)
	}
	return c.JSON(http.StatusCreated, api.Token{Token: token, ID: claims.ID, AccountID: t.AccountID, ExpiresAt: claims.ExpiresAt.UTC()})
}

// revokeToken refuses a token from now on, on every node within the token
// cache's TTL (2 s). An operator names the token, or only its id (the
// expiry then defaults to the longest a token can still live); a
// tenant-admin may revoke tenant-admin tokens of its own account, and must
// hand over the token itself, since an id alone does not tell whose it is.
func (a *API) revokeToken(c echo.Context) error {
	var in api.RevokeTokenRequest
	if err := bind(c, &in); err != nil || (in.Token == "") == (in.ID == "") || (in.Token != "" && in.ExpiresAt != nil) {
		return badRequest(c, `The body must be {"token": "..."} or {"id": "...", "expiresAt": "..."} (expiresAt optional).`)
	}
	caller := claimsOf(c)
	now := a.clock()
	latest := now.Add(jwtauth.MaxTTL) // no token lives past it
	var id, tenant string
	var expires time.Time
	if in.Token != "" {
		target, err := a.key.Verify(in.Token, now)
		if err != nil {
			return badRequest(c, "token is not a valid, unexpired token of this control plane.")
		}
		if caller.Role != jwtauth.RoleOperator && (target.Role != jwtauth.RoleTenantAdmin || target.Tenant != caller.Tenant) {
			return fail(c, http.StatusForbidden, "Forbidden", "A tenant-admin token may revoke only tenant-admin tokens of its own account.")
		}
		id, tenant, expires = target.ID, target.Tenant, target.ExpiresAt.Time
	} else {
		if caller.Role != jwtauth.RoleOperator {
			return fail(c, http.StatusForbidden, "Forbidden", "Revoking a token by id needs an operator token; a tenant-admin hands over the token itself.")
		}
		if !jwtauth.ValidID(in.ID) {
			return badRequest(c, "id must be a token id (the jti claim).")
		}
		id, expires = in.ID, latest
		if in.ExpiresAt != nil {
			expires = *in.ExpiresAt
		}
	}
	if expires.After(latest) {
		expires = latest // keeps the denylist entry no longer than needed
	}
	rev, err := a.catalog.RevokeToken(c.Request().Context(), id, tenant, expires)
	if err != nil {
		return a.catalogError(c, err)
	}
	return c.JSON(http.StatusOK, api.Revocation{ID: rev.TokenID, AccountID: rev.Tenant, ExpiresAt: rev.ExpiresAt, RevokedAt: rev.RevokedAt})
}

// tokenRefused answers a verified token the catalog refused
// (tenants.Catalog.CheckToken). A revoked token, or a tenant-admin token
// whose tenant is gone or was re-created, is as good as invalid: 401, like
// an expired one. That tells the holder only about the token's own
// account, so it leaks nothing the 403 for other accounts hides.
func (a *API) tokenRefused(c echo.Context, err error) error {
	switch {
	case errors.Is(err, tenants.ErrTokenRevoked):
		return invalidToken(c, "The bearer token has been revoked.")
	case errors.Is(err, tenants.ErrTokenStale):
		return invalidToken(c, "The bearer token's tenant no longer exists; a token does not carry over to a tenant re-created with the same account id.")
	}
	return a.catalogError(c, err)
}

func tokenRef(claims *jwtauth.Claims) tenants.TokenRef {
	return tenants.TokenRef{ID: claims.ID, Tenant: claims.Tenant, Incarnation: claims.Incarnation, IssuedAt: claims.IssuedAt.Time}
}
