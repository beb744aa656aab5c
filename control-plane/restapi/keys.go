package restapi

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sluice-mq/sluice/tenants"
)

type keyJSON struct {
	AccessKeyID string    `json:"accessKeyId"`
	AccountID   string    `json:"accountId"`
	Status      string    `json:"status"`
	CreatedAt   time.Time `json:"createdAt"`
	// SecretAccessKey is present only in the reply that creates the key.
	SecretAccessKey string `json:"secretAccessKey,omitempty"`
}

func toKeyJSON(k tenants.AccessKey) keyJSON {
	return keyJSON{AccessKeyID: k.ID, AccountID: k.AccountID, Status: string(k.Status), CreatedAt: k.CreatedAt}
}

func (a *API) createKey(c echo.Context) error {
	k, secret, err := a.catalog.CreateAccessKey(c.Request().Context(), c.Param("account"))
	if err != nil {
		return a.catalogError(c, err)
	}
	out := toKeyJSON(k)
	out.SecretAccessKey = secret
	return c.JSON(http.StatusCreated, out)
}

type keyList struct {
	Keys []keyJSON `json:"keys"`
}

func (a *API) listKeys(c echo.Context) error {
	ctx := c.Request().Context()
	if _, err := a.catalog.GetTenant(ctx, c.Param("account")); err != nil {
		return a.catalogError(c, err)
	}
	keys, err := a.catalog.ListAccessKeys(ctx, c.Param("account"))
	if err != nil {
		return a.catalogError(c, err)
	}
	out := keyList{Keys: make([]keyJSON, len(keys))}
	for i, k := range keys {
		out.Keys[i] = toKeyJSON(k)
	}
	return c.JSON(http.StatusOK, out)
}

type updateKeyRequest struct {
	Status string `json:"status"`
}

func (a *API) updateKey(c echo.Context) error {
	var in updateKeyRequest
	if err := bind(c, &in); err != nil || (in.Status != string(tenants.KeyActive) && in.Status != string(tenants.KeyInactive)) {
		return badRequest(c, `The body must be {"status": "active"} or {"status": "inactive"}.`)
	}
	k, err := a.catalog.SetAccessKeyStatus(c.Request().Context(), c.Param("account"), c.Param("key"), tenants.KeyStatus(in.Status))
	if err != nil {
		return a.catalogError(c, err)
	}
	return c.JSON(http.StatusOK, toKeyJSON(k))
}

func (a *API) deleteKey(c echo.Context) error {
	if err := a.catalog.DeleteAccessKey(c.Request().Context(), c.Param("account"), c.Param("key")); err != nil {
		return a.catalogError(c, err)
	}
	return c.NoContent(http.StatusNoContent)
}
