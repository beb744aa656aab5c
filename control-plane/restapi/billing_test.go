package restapi_test

import (
	"context"
	"encoding/csv"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/billing/invoices"
	"github.com/sluice-mq/sluice/billing/plans"
	"github.com/sluice-mq/sluice/billing/usage"
	"github.com/sluice-mq/sluice/control-plane/jwtauth"
	"github.com/sluice-mq/sluice/control-plane/restapi"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
	"github.com/sluice-mq/sluice/sdk/api"
	"github.com/sluice-mq/sluice/tenants"
)

// staticUsage reports the same quantities for every account and span.
type staticUsage []usage.Quantity

func (s staticUsage) Quantities(_ context.Context, _ string, _, _ time.Time, byQueue bool) ([]usage.Quantity, error) {
	out := append([]usage.Quantity(nil), s...)
	if !byQueue {
		for i := range out {
			out[i].Queue = ""
		}
	}
	return out, nil
}

func newBillingFixture(t *testing.T, store kv.Store, src invoices.UsageSource) *fixture {
	t.Helper()
	return newFixtureWith(t, store, func(api *restapi.API, catalog *tenants.Catalog) {
		api.WithBilling(invoices.New(store, plans.NewStore(store, nil), src, catalog, invoices.Options{}))
	})
}

func TestInvoiceRoutes(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		src := staticUsage{
			{Meter: usage.Requests, Queue: "orders", QueueType: usage.Standard, Class: usage.Send, Amount: 3_000_000},
			{Meter: usage.Requests, Queue: "jobs.fifo", QueueType: usage.FIFO, Class: usage.Send, Amount: 1_000_000},
			{Meter: usage.UnauthenticatedRequests, Amount: 5},
		}
		f := newBillingFixture(t, store, src)
		op := f.token(t, jwtauth.RoleOperator, "")
		var a, b tenantReply
		f.do(t, op, "POST", "/v1/tenants", `{"accountId":"111122223333"}`, 201, &a)
		f.do(t, op, "POST", "/v1/tenants", `{"accountId":"444455556666"}`, 201, &b)
		adminA, adminB := f.token(t, jwtauth.RoleTenantAdmin, a.AccountID), f.token(t, jwtauth.RoleTenantAdmin, b.AccountID)

		var list api.InvoiceList
		f.do(t, adminA, "GET", "/v1/tenants/"+a.AccountID+"/invoices", "", 200, &list)
		if len(list.Invoices) != 1 || list.Invoices[0].Status != api.InvoiceDraft {
			t.Fatalf("A's invoices = %+v", list)
		}
		inv := list.Invoices[0]
		// 2M standard units past the free million at $0.40, 1M FIFO at $0.50.
		if inv.TotalMicros != 1_300_000 || inv.Currency != "USD" || inv.Plan != "standard" || len(inv.Queues) != 3 {
			t.Fatalf("invoice = %+v", inv)
		}
		var got api.Invoice
		f.do(t, op, "GET", "/v1/tenants/"+a.AccountID+"/invoices/"+inv.ID, "", 200, &got)
		if got.ID != inv.ID || got.TotalMicros != inv.TotalMicros {
			t.Fatalf("get = %+v", got)
		}
		// Tenant B reads nothing of A's, whether the invoice exists or not.
		f.do(t, adminB, "GET", "/v1/tenants/"+a.AccountID+"/invoices", "", 403, nil)
		f.do(t, adminB, "GET", "/v1/tenants/"+a.AccountID+"/invoices/"+inv.ID, "", 403, nil)
		f.do(t, adminB, "GET", "/v1/tenants/"+a.AccountID+"/invoices/inv_nothing", "", 403, nil)
		f.do(t, adminB, "GET", "/v1/tenants/"+b.AccountID+"/invoices/"+inv.ID, "", 404, nil)
		f.do(t, op, "GET", "/v1/tenants/999999999999/invoices", "", 404, nil)

		// CSV.
		req := httptest.NewRequest("GET", "/v1/tenants/"+a.AccountID+"/invoices/"+inv.ID, nil)
		req.Header.Set("Authorization", "Bearer "+adminA)
		req.Header.Set("Accept", "text/csv")
		rec := httptest.NewRecorder()
		f.e.ServeHTTP(rec, req)
		if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") {
			t.Fatalf("csv: %d %s", rec.Code, rec.Header().Get("Content-Type"))
		}
		rows, err := csv.NewReader(rec.Body).ReadAll()
		if err != nil || len(rows) != 1+len(inv.Lines) || strings.Join(rows[0], ",") != strings.Join(restapi.CSVHeader, ",") {
			t.Fatalf("csv rows %v, %v", rows, err)
		}
		col := map[string]int{}
		for i, h := range rows[0] {
			col[h] = i
		}
		fifo := rows[2]
		if fifo[col["meter"]] != "requests" || fifo[col["queue_type"]] != "fifo" || fifo[col["amount_micros"]] != "500000" || fifo[col["quantity"]] != "1000000" || fifo[col["invoice_id"]] != inv.ID {
			t.Fatalf("fifo row %v", fifo)
		}
		last := rows[len(rows)-1]
		if last[col["meter"]] != "unauthenticated_requests" || last[col["amount_micros"]] != "0" || last[col["informational"]] != "true" {
			t.Fatalf("unauthenticated row %v", last)
		}
	})
}

func TestPlanRoutes(t *testing.T) {
	f := newBillingFixture(t, kvtest.OpenLocal(t), staticUsage{})
	op := f.token(t, jwtauth.RoleOperator, "")
	var a tenantReply
	f.do(t, op, "POST", "/v1/tenants", `{"accountId":"111122223333","plan":"free"}`, 201, &a)
	admin := f.token(t, jwtauth.RoleTenantAdmin, a.AccountID)

	var list api.PricePlanList
	f.do(t, admin, "GET", "/v1/plans", "", 200, &list)
	if len(list.Plans) != 3 || list.Plans[0].Name != "free" || list.Plans[0].StandardPerMillionMicros != 400_000 || list.Plans[0].CreatedAt != nil {
		t.Fatalf("plans = %+v", list)
	}
	f.do(t, admin, "PUT", "/v1/plans/free", `{"freeRequestUnits":0}`, 403, nil)
	f.do(t, op, "PUT", "/v1/plans/gold", `{}`, 404, nil)
	f.do(t, op, "PUT", "/v1/plans/free", `{"egressPerGBMicros":-1}`, 400, nil)
	f.do(t, op, "PUT", "/v1/plans/free", `{"currency":"dollars"}`, 400, nil)
	f.do(t, op, "PUT", "/v1/plans/free", `{"egressPerGBMicros":0.5}`, 400, nil) // micros are integers
	var v1 api.PricePlan
	f.do(t, op, "PUT", "/v1/plans/free", `{"currency":"EUR","freeRequestUnits":0}`, 200, &v1)
	if v1.Version != 1 || v1.Currency != "EUR" || v1.FreeRequestUnits != 0 || v1.StandardPerMillionMicros != 400_000 || v1.CreatedAt == nil {
		t.Fatalf("version 1 = %+v", v1)
	}
	var cur, old api.PricePlan
	f.do(t, admin, "GET", "/v1/plans/free", "", 200, &cur)
	f.do(t, admin, "GET", "/v1/plans/free?version=0", "", 200, &old)
	if cur.Version != 1 || old.Version != 0 || old.FreeRequestUnits != 1_000_000 || old.Currency != "USD" {
		t.Fatalf("current %+v, version 0 %+v", cur, old)
	}
	f.do(t, admin, "GET", "/v1/plans/free?version=7", "", 404, nil)
	f.do(t, admin, "GET", "/v1/plans/free?version=x", "", 400, nil)
	var inv api.InvoiceList
	f.do(t, admin, "GET", "/v1/tenants/"+a.AccountID+"/invoices", "", 200, &inv)
	if len(inv.Invoices) != 1 || inv.Invoices[0].PlanVersion != 1 || inv.Invoices[0].Currency != "EUR" {
		t.Fatalf("draft on the new version: %+v", inv)
	}
}

// Without billing, the routes answer 503.
func TestBillingRoutesWithoutBilling(t *testing.T) {
	f := newFixture(t, kvtest.OpenLocal(t))
	op := f.token(t, jwtauth.RoleOperator, "")
	f.do(t, op, "GET", "/v1/plans", "", 503, nil)
	f.do(t, op, "PUT", "/v1/plans/free", `{}`, 503, nil)
	f.do(t, op, "GET", "/v1/tenants/111122223333/invoices", "", 503, nil)
}
