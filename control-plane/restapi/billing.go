package restapi

import (
	"bytes"
	"encoding/csv"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sluice-mq/sluice/billing/invoices"
	"github.com/sluice-mq/sluice/billing/plans"
	"github.com/sluice-mq/sluice/sdk/api"
)

// WithBilling serves invoices and price plans from b. Without it the
// billing routes exist (they are in the document) but answer 503
// BillingUnavailable.
func (a *API) WithBilling(b *invoices.Biller) *API {
	a.billing = b
	return a
}

// needsBilling answers 503 on a node without billing.
func (a *API) needsBilling(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if a.billing == nil {
			return fail(c, http.StatusServiceUnavailable, "BillingUnavailable", "Billing is not configured on this node.")
		}
		return next(c)
	}
}

func (a *API) billingError(c echo.Context, err error) error {
	var invalid *plans.InvalidError
	switch {
	case errors.Is(err, invoices.ErrNotFound):
		return fail(c, http.StatusNotFound, "InvoiceNotFound", "This account has no such invoice.")
	case errors.Is(err, plans.ErrUnknownPlan):
		return fail(c, http.StatusNotFound, "PlanNotFound", "No such price plan (or version); the plans are "+strings.Join(plans.Names(), ", ")+".")
	case errors.As(err, &invalid):
		return badRequest(c, "Invalid "+invalid.Field+": "+invalid.Reason+".")
	}
	return a.catalogError(c, err)
}

func (a *API) listInvoices(c echo.Context) error {
	list, err := a.billing.List(c.Request().Context(), c.Param("account"))
	if err != nil {
		return a.billingError(c, err)
	}
	if list == nil {
		list = []api.Invoice{}
	}
	return c.JSON(http.StatusOK, api.InvoiceList{Invoices: list})
}

// getInvoice answers JSON, or the lines as CSV when the request accepts
// text/csv.
func (a *API) getInvoice(c echo.Context) error {
	inv, err := a.billing.Get(c.Request().Context(), c.Param("account"), c.Param("invoice"))
	if err != nil {
		return a.billingError(c, err)
	}
	if strings.Contains(c.Request().Header.Get("Accept"), "text/csv") {
		return c.Blob(http.StatusOK, "text/csv; charset=utf-8", InvoiceCSV(inv))
	}
	return c.JSON(http.StatusOK, inv)
}

// CSVHeader names the columns of an invoice's CSV: one row per line.
var CSVHeader = []string{"invoice_id", "account_id", "period_start", "period_end", "status", "currency",
	"meter", "queue_type", "tier", "description", "quantity", "unit", "free_units",
	"unit_price_micros", "price_unit", "amount_micros", "informational", "correction_of"}

// InvoiceCSV is an invoice's lines as CSV, with a header row.
func InvoiceCSV(inv api.Invoice) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(CSVHeader)
	i := strconv.FormatInt
	for _, l := range inv.Lines {
		_ = w.Write([]string{inv.ID, inv.AccountID, inv.PeriodStart.Format(time.RFC3339), inv.PeriodEnd.Format(time.RFC3339),
			string(inv.Status), inv.Currency, l.Meter, l.QueueType, l.Tier, l.Description, i(l.Quantity, 10), l.Unit,
			i(l.FreeUnits, 10), i(l.UnitPriceMicros, 10), l.PriceUnit, i(l.AmountMicros, 10),
			strconv.FormatBool(l.Informational), l.CorrectionOf})
	}
	w.Flush()
	return buf.Bytes()
}

func toPricePlan(p plans.Plan) api.PricePlan {
	out := api.PricePlan{Name: p.Name, Version: p.Version, Currency: p.Currency,
		FreeRequestUnits: p.FreeRequestUnits, StandardPerMillionMicros: p.StandardPerMillion,
		FIFOPerMillionMicros: p.FIFOPerMillion, HotStoragePerGBMonthMicros: p.HotStoragePerGBMonth,
		ColdStoragePerGBMonthMicros: p.ColdStoragePerGBMonth, EgressPerGBMicros: p.EgressPerGB,
		QueuePerMonthMicros: p.QueuePerMonth}
	if !p.CreatedAt.IsZero() {
		at := p.CreatedAt
		out.CreatedAt = &at
	}
	return out
}

func (a *API) listPlans(c echo.Context) error {
	list, err := a.billing.Plans().List(c.Request().Context())
	if err != nil {
		return a.billingError(c, err)
	}
	out := api.PricePlanList{Plans: make([]api.PricePlan, len(list))}
	for i, p := range list {
		out.Plans[i] = toPricePlan(p)
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) getPlan(c echo.Context) error {
	store := a.billing.Plans()
	var p plans.Plan
	var err error
	if v := c.QueryParam("version"); v != "" {
		n, perr := plans.ParseVersion(v)
		if perr != nil {
			return badRequest(c, "version must be a number from 0.")
		}
		p, err = store.Version(c.Request().Context(), c.Param("name"), n)
	} else {
		p, err = store.Current(c.Request().Context(), c.Param("name"))
	}
	if err != nil {
		return a.billingError(c, err)
	}
	return c.JSON(http.StatusOK, toPricePlan(p))
}

// putPlan stores the next version of a plan: the current one's prices,
// changed where the body says.
func (a *API) putPlan(c echo.Context) error {
	var in api.PutPricePlanRequest
	if err := bind(c, &in); err != nil {
		return badRequest(c, "The body must be a JSON object of price plan fields (micros as integers).")
	}
	ctx := c.Request().Context()
	store := a.billing.Plans()
	p, err := store.Current(ctx, c.Param("name"))
	if err != nil {
		return a.billingError(c, err)
	}
	if in.Currency != nil {
		p.Currency = *in.Currency
	}
	for _, f := range []struct {
		in  *int64
		out *int64
	}{
		{in.FreeRequestUnits, &p.FreeRequestUnits}, {in.StandardPerMillionMicros, &p.StandardPerMillion},
		{in.FIFOPerMillionMicros, &p.FIFOPerMillion}, {in.HotStoragePerGBMonthMicros, &p.HotStoragePerGBMonth},
		{in.ColdStoragePerGBMonthMicros, &p.ColdStoragePerGBMonth}, {in.EgressPerGBMicros, &p.EgressPerGB},
		{in.QueuePerMonthMicros, &p.QueuePerMonth},
	} {
		if f.in != nil {
			*f.out = *f.in
		}
	}
	p, err = store.Put(ctx, p)
	if err != nil {
		return a.billingError(c, err)
	}
	return c.JSON(http.StatusOK, toPricePlan(p))
}
