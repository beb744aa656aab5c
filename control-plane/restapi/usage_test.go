package restapi_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/billing/meter"
	"github.com/sluice-mq/sluice/billing/usage"
	"github.com/sluice-mq/sluice/control-plane/jwtauth"
	"github.com/sluice-mq/sluice/data-plane/admission"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
	"github.com/sluice-mq/sluice/sdk/api"
)

// TestUsageRoute: a tenant-admin reads its own usage, in buckets and
// groups, and gets 403 on another account's.
func TestUsageRoute(t *testing.T) {
	f := newFixture(t, kvtest.OpenLocal(t))
	op := f.token(t, jwtauth.RoleOperator, "")
	var a, b tenantReply
	f.do(t, op, "POST", "/v1/tenants", `{}`, 201, &a)
	f.do(t, op, "POST", "/v1/tenants", `{}`, 201, &b)
	m := meter.New(meter.Options{Store: f.store})
	for _, u := range []admission.Usage{
		{Action: "SendMessage", Account: a.AccountID, Region: "us-east-1", Queue: "q", InBytes: 65537},
		{Action: "ReceiveMessage", Account: a.AccountID, Region: "us-east-1", Queue: "q.fifo"},
		{Action: "ListQueues", Account: a.AccountID},
		{Action: "ListQueues", Account: b.AccountID},
	} {
		m.Count(u)
	}
	if err := m.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	adminB := f.token(t, jwtauth.RoleTenantAdmin, b.AccountID)
	f.do(t, adminB, "GET", "/v1/tenants/"+a.AccountID+"/usage", "", 403, nil)

	adminA := f.token(t, jwtauth.RoleTenantAdmin, a.AccountID)
	var got api.Usage
	f.do(t, adminA, "GET", "/v1/tenants/"+a.AccountID+"/usage", "", 200, &got)
	now := time.Now().UTC()
	if got.AccountID != a.AccountID || got.Granularity != "day" || len(got.Buckets) != 1 ||
		!got.From.Equal(time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("usage: %+v", got)
	}
	sum := map[string]int64{}
	for _, q := range got.Buckets[0].Quantities {
		sum[q.Meter+"/"+q.Dimensions["queueType"]] += q.Quantity
		if q.Dimensions["action"] != "" || q.Dimensions["queue"] != "" {
			t.Errorf("ungrouped usage has %v", q.Dimensions)
		}
		if q.Unit == "" {
			t.Errorf("%s has no unit", q.Meter)
		}
	}
	if sum["requests/standard"] != 3 || sum["requests/fifo"] != 1 || sum["ingress_bytes/"] != 65537 {
		t.Fatalf("usage: %v", sum)
	}

	var grouped api.Usage
	f.do(t, op, "GET", "/v1/tenants/"+a.AccountID+"/usage?granularity=hour&groupBy=queue,action&from="+
		now.Add(-2*time.Hour).Format(time.RFC3339)+"&to="+now.Add(time.Hour).Format(time.RFC3339), "", 200, &grouped)
	if grouped.Granularity != "hour" || len(grouped.Buckets) != 1 || grouped.Buckets[0].End.Sub(grouped.Buckets[0].Start) != time.Hour {
		t.Fatalf("hourly: %+v", grouped)
	}
	found := false
	for _, q := range grouped.Buckets[0].Quantities {
		if q.Meter == "requests" && q.Dimensions["queue"] == "q" && q.Dimensions["action"] == "send" && q.Quantity == 2 {
			found = true
		}
	}
	if !found {
		t.Fatalf("no per-queue send units: %+v", grouped.Buckets[0].Quantities)
	}
	f.do(t, adminA, "GET", "/v1/tenants/"+a.AccountID+"/usage?granularity=week", "", 400, nil)

	// Hours older than the rollup horizon are refused; by day they are
	// read, and hourly without from starts at the horizon.
	horizon := usage.HourlyHorizon(now, usage.DefaultLateWindow)
	var failure api.Error
	f.do(t, op, "GET", "/v1/tenants/"+a.AccountID+"/usage?granularity=hour&from="+
		horizon.Add(-time.Hour).Format(time.RFC3339), "", 400, &failure)
	if !strings.Contains(failure.Error.Message, "granularity=day") {
		t.Fatalf("hourly before the horizon: %+v", failure)
	}
	f.do(t, op, "GET", "/v1/tenants/"+a.AccountID+"/usage?granularity=day&from="+
		horizon.Add(-time.Hour).Format(time.RFC3339), "", 200, nil)
	var hourly api.Usage
	f.do(t, op, "GET", "/v1/tenants/"+a.AccountID+"/usage?granularity=hour", "", 200, &hourly)
	want := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	if horizon.After(want) {
		want = horizon
	}
	if !hourly.From.Equal(want) {
		t.Fatalf("hourly default from %v, want %v", hourly.From, want)
	}
}
