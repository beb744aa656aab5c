package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/sluice-mq/sluice/sdk/api"
)

// Billing routes answer 503 (ErrUnavailable, retried) on a node without
// billing configured.

// ListInvoices reads the tenant's invoices, oldest first: the finalized
// ones, then the drafts.
func (c *Client) ListInvoices(ctx context.Context, account string) ([]api.Invoice, error) {
	l, err := callFor[api.InvoiceList](ctx, c, call{method: http.MethodGet, path: api.PathInvoices}, account)
	return l.Invoices, err
}

// GetInvoice reads one invoice by id (inv_{account}_{YYYY-MM}); a draft is
// computed on each read.
func (c *Client) GetInvoice(ctx context.Context, account, id string) (api.Invoice, error) {
	return callFor[api.Invoice](ctx, c, call{method: http.MethodGet, path: api.PathInvoice}, account, id)
}

// GetInvoiceCSV reads an invoice's lines as CSV, with a header row.
func (c *Client) GetInvoiceCSV(ctx context.Context, account, id string) ([]byte, error) {
	p, err := path(api.PathInvoice, account, id)
	if err != nil {
		return nil, err
	}
	return c.send(ctx, call{method: http.MethodGet, path: p, accept: "text/csv"})
}

// ListPlans reads every price plan at its current version.
func (c *Client) ListPlans(ctx context.Context) ([]api.PricePlan, error) {
	l, err := callFor[api.PricePlanList](ctx, c, call{method: http.MethodGet, path: api.PathPlans})
	return l.Plans, err
}

// GetPlan reads a price plan at its current version.
func (c *Client) GetPlan(ctx context.Context, name api.Plan) (api.PricePlan, error) {
	return callFor[api.PricePlan](ctx, c, call{method: http.MethodGet, path: api.PathPlan}, string(name))
}

// GetPlanVersion reads one version of a price plan; 0 is the built-in
// default.
func (c *Client) GetPlanVersion(ctx context.Context, name api.Plan, version int) (api.PricePlan, error) {
	q := url.Values{"version": {strconv.Itoa(version)}}
	return callFor[api.PricePlan](ctx, c, call{method: http.MethodGet, path: api.PathPlan, query: q}, string(name))
}

// PutPlan stores the next version of a price plan (operator): the current
// version's prices, changed where req says. Invoices keep the version
// they were rated with.
func (c *Client) PutPlan(ctx context.Context, name api.Plan, req api.PutPricePlanRequest) (api.PricePlan, error) {
	return callFor[api.PricePlan](ctx, c, call{method: http.MethodPut, path: api.PathPlan, body: req}, string(name))
}
