// Package restapi is the control plane's REST/JSON API: tenants, their
// access keys and their queues, behind JWT bearer tokens
// (control-plane/jwtauth). Operators
// manage every tenant; a tenant-admin token reaches only its own account,
// and is refused (403) elsewhere whether or not the account exists. Tokens
// can be revoked, and a tenant-admin token dies with its tenant (401).
// With WithBilling it also serves invoices (operators, and a tenant-admin
// for its own account) and price plans (read by any token, changed by
// operators only).
package restapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sluice-mq/sluice/billing/invoices"
	"github.com/sluice-mq/sluice/control-plane/jwtauth"
	"github.com/sluice-mq/sluice/data-plane/admission"
	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/topics"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/sdk/api"
	"github.com/sluice-mq/sluice/tenants"
)

// API serves the control plane's routes.
type API struct {
	catalog *tenants.Catalog
	queues  *queues.Catalog
	topics  *topics.Catalog // nil: the topic routes answer 503
	data    QueueData
	gate    *admission.Gate  // quotas and metering of the queue routes
	usage   kv.Store         // usage records; nil serves none
	billing *invoices.Biller // nil: the billing routes answer 503
	region  string           // queues provisioned here live in this region
	key     *jwtauth.Key
	clock   func() time.Time
	log     *slog.Logger
}

// QueueData is what the queue routes need from the messages a queue
// holds: the approximate counts among its attributes, its storage figures,
// and ending the long polls of the queues they delete. An engine's Stats
// provide it, as does engine.NewStats on a node without an engine.
type QueueData interface {
	GetQueueAttributes(ctx context.Context, ref queues.Ref, names []string) (map[string]string, error)
	QueueStorage(ctx context.Context, ref queues.Ref) (engine.QueueStorage, error)
	QueuesGone(ctx context.Context, old ...queues.DataID) error
}

// New returns the API over the tenant catalog, the queue catalog and
// what the queues hold; clock may be nil (time.Now).
func New(catalog *tenants.Catalog, queueCatalog *queues.Catalog, data QueueData, region string, key *jwtauth.Key, clock func() time.Time, log *slog.Logger) *API {
	if clock == nil {
		clock = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &API{catalog: catalog, queues: queueCatalog, data: data, gate: admission.New(admission.Options{Clock: clock}), region: region, key: key, clock: clock, log: log}
}

// WithGate makes the queue routes pass g, the node's admission gate,
// instead of a gate of their own: one node, one set of rate buckets and one
// meter.
func (a *API) WithGate(g *admission.Gate) *API {
	a.gate = g
	return a
}

// Register mounts the routes on e under /v1.
func (a *API) Register(e *echo.Echo) {
	e.GET(OpenAPIPath, a.openAPI)
	v1 := e.Group("/v1", a.authenticate)
	v1.POST("/tenants", a.createTenant, operatorOnly)
	v1.GET("/tenants", a.listTenants, operatorOnly)
	v1.GET("/tenants/:account", a.getTenant, sameTenant)
	v1.PATCH("/tenants/:account", a.updateTenant, operatorOnly)
	v1.DELETE("/tenants/:account", a.deleteTenant, operatorOnly)
	v1.POST("/tenants/:account/suspend", a.setTenantStatus(tenants.StatusSuspended), operatorOnly)
	v1.POST("/tenants/:account/resume", a.setTenantStatus(tenants.StatusActive), operatorOnly)
	v1.POST("/tenants/:account/keys", a.createKey, sameTenant)
	v1.GET("/tenants/:account/keys", a.listKeys, sameTenant)
	v1.PATCH("/tenants/:account/keys/:key", a.updateKey, sameTenant)
	v1.DELETE("/tenants/:account/keys/:key", a.deleteKey, sameTenant)
	v1.POST("/tenants/:account/queues", a.createQueue, sameTenant, a.admit("CreateQueue"))
	v1.GET("/tenants/:account/queues", a.listQueues, sameTenant, a.admit("ListQueues"))
	v1.GET("/tenants/:account/queues/:queue", a.getQueue, sameTenant, a.admit("GetQueueAttributes"))
	v1.PATCH("/tenants/:account/queues/:queue", a.updateQueue, sameTenant, a.admit("SetQueueAttributes"))
	v1.DELETE("/tenants/:account/queues/:queue", a.deleteQueue, sameTenant, a.admit("DeleteQueue"))
	a.registerTopics(v1)
	v1.GET("/tenants/:account/usage", a.getUsage, sameTenant)
	v1.POST("/tenants/:account/tokens", a.createToken, operatorOnly)
	v1.POST("/tokens/revoke", a.revokeToken) // the handler checks who may revoke what
	// Billing: a tenant-admin reads its own account's invoices; every
	// token may read the price plans (a price list is no secret); only
	// operators change them.
	v1.GET("/tenants/:account/invoices", a.listInvoices, sameTenant, a.needsBilling)
	v1.GET("/tenants/:account/invoices/:invoice", a.getInvoice, sameTenant, a.needsBilling)
	v1.GET("/plans", a.listPlans, a.needsBilling)
	v1.GET("/plans/:name", a.getPlan, a.needsBilling)
	v1.PUT("/plans/:name", a.putPlan, operatorOnly, a.needsBilling)
}

// fail answers an error: every error reply is an api.Error.
func fail(c echo.Context, status int, code, message string) error {
	c.Set(errorCodeKey, code)
	return c.JSON(status, api.Error{Error: api.ErrorDetail{Code: code, Message: message}})
}

const (
	claimsKey    = "sluice.claims"
	admittedKey  = "sluice.admitted"  // the route's *admission.Call
	errorCodeKey = "sluice.errorCode" // the code of the error answered
)

// authenticate requires a valid bearer token on every /v1 route: signed
// by the key and unexpired, then neither revoked nor, for a tenant-admin
// token, older than its tenant (tenants.Catalog.CheckToken, which caches
// its reads for 2 s).
func (a *API) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		token, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
		if !ok || token == "" {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="sluice"`)
			return fail(c, http.StatusUnauthorized, "Unauthorized", "An Authorization: Bearer token is required.")
		}
		claims, err := a.key.Verify(strings.TrimSpace(token), a.clock())
		if err != nil {
			return invalidToken(c, "The bearer token is invalid or expired.")
		}
		if err := a.catalog.CheckToken(c.Request().Context(), tokenRef(claims)); err != nil {
			return a.tokenRefused(c, err)
		}
		c.Set(claimsKey, claims)
		return next(c)
	}
}

func invalidToken(c echo.Context, message string) error {
	c.Response().Header().Set("WWW-Authenticate", `Bearer realm="sluice", error="invalid_token"`)
	return fail(c, http.StatusUnauthorized, "InvalidToken", message)
}

func claimsOf(c echo.Context) *jwtauth.Claims {
	claims, _ := c.Get(claimsKey).(*jwtauth.Claims)
	return claims
}

func operatorOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if claims := claimsOf(c); claims == nil || claims.Role != jwtauth.RoleOperator {
			return fail(c, http.StatusForbidden, "Forbidden", "This action needs an operator token.")
		}
		return next(c)
	}
}

// sameTenant admits operators and the tenant-admin of the :account in the
// path.
func sameTenant(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if claims := claimsOf(c); claims == nil || !claims.Allows(c.Param("account")) {
			return fail(c, http.StatusForbidden, "Forbidden", "This token may not act on this account.")
		}
		return next(c)
	}
}

// catalogError maps catalog errors to replies; anything unexpected is
// logged and answered 500 without detail.
func (a *API) catalogError(c echo.Context, err error) error {
	var invalid *tenants.InvalidInputError
	switch {
	case errors.As(err, &invalid):
		return fail(c, http.StatusBadRequest, "InvalidInput", "Invalid "+invalid.Field+": "+invalid.Reason+".")
	case errors.Is(err, tenants.ErrTenantNotFound):
		return fail(c, http.StatusNotFound, "TenantNotFound", "No tenant has this account id.")
	case errors.Is(err, tenants.ErrAccessKeyNotFound):
		return fail(c, http.StatusNotFound, "AccessKeyNotFound", "This account has no such access key.")
	case errors.Is(err, tenants.ErrTenantExists):
		return fail(c, http.StatusConflict, "TenantExists", "A tenant with this account id exists.")
	}
	a.log.Error("control plane request failed", "path", c.Path(), "error", err)
	return fail(c, http.StatusInternalServerError, "InternalError", "The request failed; see the server log.")
}

func badRequest(c echo.Context, message string) error {
	return fail(c, http.StatusBadRequest, "InvalidInput", message)
}

// maxBody bounds a request body.
const maxBody = 64 << 10

// bind decodes a JSON body, refusing unknown fields; an empty body leaves
// into as it is.
func bind(c echo.Context, into any) error {
	dec := json.NewDecoder(io.LimitReader(c.Request().Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

func queryInt(c echo.Context, name string, deflt int) (int, error) {
	s := c.QueryParam(name)
	if s == "" {
		return deflt, nil
	}
	return strconv.Atoi(s)
}
