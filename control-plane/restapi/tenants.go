package restapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/sluice-mq/sluice/sdk/api"
	"github.com/sluice-mq/sluice/tenants"
)

func (a *API) createTenant(c echo.Context) error {
	var in api.CreateTenantRequest
	if err := bind(c, &in); err != nil {
		return badRequest(c, "The body must be a JSON object with optional accountId, name, plan and quotas.")
	}
	t, err := a.catalog.CreateTenant(c.Request().Context(), tenants.CreateTenantInput{
		AccountID: in.AccountID, Name: in.Name, Plan: tenants.Plan(in.Plan), Overrides: fromAPIQuotas(in.Quotas)})
	if err != nil {
		return a.catalogError(c, err)
	}
	return c.JSON(http.StatusCreated, toTenantJSON(t))
}

func (a *API) listTenants(c echo.Context) error {
	limit, err := queryInt(c, "limit", tenants.DefaultListLimit)
	if err != nil || limit < 1 || limit > tenants.MaxListLimit {
		return badRequest(c, "limit must be a number from 1 to 1000.")
	}
	page, next, err := a.catalog.ListTenants(c.Request().Context(), limit, c.QueryParam("after"))
	if err != nil {
		return a.catalogError(c, err)
	}
	out := api.TenantList{Tenants: make([]api.Tenant, len(page)), Next: next}
	for i, t := range page {
		out.Tenants[i] = toTenantJSON(t)
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) getTenant(c echo.Context) error {
	t, err := a.catalog.GetTenant(c.Request().Context(), c.Param("account"))
	if err != nil {
		return a.catalogError(c, err)
	}
	return c.JSON(http.StatusOK, toTenantJSON(t))
}

func (a *API) setTenantStatus(s tenants.Status) echo.HandlerFunc {
	return func(c echo.Context) error {
		t, err := a.catalog.SetTenantStatus(c.Request().Context(), c.Param("account"), s)
		if err != nil {
			return a.catalogError(c, err)
		}
		return c.JSON(http.StatusOK, toTenantJSON(t))
	}
}

// updateTenant changes the plan and quota overrides; every node enforces
// them within the key cache's TTL (2 s).
func (a *API) updateTenant(c echo.Context) error {
	var in api.UpdateTenantRequest
	if err := bind(c, &in); err != nil || (in.Plan == nil && in.Quotas == nil) {
		return badRequest(c, "The body must set plan, quotas or both.")
	}
	t, err := a.catalog.SetTenantPlan(c.Request().Context(), c.Param("account"), fromAPIPlanPtr(in.Plan), fromAPIQuotasPtr(in.Quotas))
	if err != nil {
		return a.catalogError(c, err)
	}
	return c.JSON(http.StatusOK, toTenantJSON(t))
}

// deleteTenant deletes the tenant and its keys at once and its queues and
// messages in the background (ReapDeletedTenants): 202 Accepted.
func (a *API) deleteTenant(c echo.Context) error {
	if err := a.catalog.DeleteTenant(c.Request().Context(), c.Param("account")); err != nil {
		return a.catalogError(c, err)
	}
	return c.JSON(http.StatusAccepted, api.TenantDeletion{AccountID: c.Param("account"), Status: api.TenantDeleting})
}

// ReapDeletedTenants removes the queues of deleted tenants, then frees
// their account ids; it also drops revocations of tokens that have
// expired, the catalog's other garbage, on the same schedule. Control-plane
// nodes run it periodically; running it on several at once is harmless.
func (a *API) ReapDeletedTenants(ctx context.Context) error {
	purged, purgeErr := a.catalog.PurgeExpiredRevocations(ctx)
	if purged > 0 {
		a.log.Info("dropped revocations of expired tokens", "count", purged)
	}
	return errors.Join(purgeErr, a.reapTenants(ctx))
}

func (a *API) reapTenants(ctx context.Context) error {
	accounts, err := a.catalog.PendingDeletions(ctx)
	if err != nil {
		return err
	}
	for _, account := range accounts {
		gone, err := a.queues.DeleteAccount(ctx, account)
		if err != nil {
			return fmt.Errorf("delete queues of tenant %s: %w", account, err)
		}
		if err := a.data.QueuesGone(ctx, gone...); err != nil {
			// Their long polls end with their own wait instead.
			a.log.Warn("wake long polls of deleted queues", "account", account, "error", err)
		}
		if a.topics != nil {
			if err := a.topics.DeleteAccount(ctx, account); err != nil {
				return err
			}
		}
		if err := a.catalog.FinishDeletion(ctx, account); err != nil {
			return err
		}
		a.log.Info("deleted tenant's data", "account", account, "queues", len(gone))
	}
	return nil
}
