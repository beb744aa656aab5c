package restapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/sluice-mq/sluice/sdk/api"
	"github.com/sluice-mq/sluice/tenants"
)

func (a *API) createKey(c echo.Context) error {
	k, secret, err := a.catalog.CreateAccessKey(c.Request().Context(), c.Param("account"))
	if err != nil {
		return a.catalogError(c, err)
	}
	out := toKeyJSON(k)
	out.SecretAccessKey = secret
	return c.JSON(http.StatusCreated, out)
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
	out := api.AccessKeyList{Keys: make([]api.AccessKey, len(keys))}
	for i, k := range keys {
		out.Keys[i] = toKeyJSON(k)
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) updateKey(c echo.Context) error {
	var in api.UpdateAccessKeyRequest
	if err := bind(c, &in); err != nil || (in.Status != api.KeyActive && in.Status != api.KeyInactive) {
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
