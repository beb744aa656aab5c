package main

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/sdk/api"
)

// fakeUsage is a control plane serving two tenants' usage.
func fakeUsage(t *testing.T) (*httptest.Server, *[]string) {
	t.Helper()
	var mu sync.Mutex
	var queries []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer op-token" {
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(api.Error{Error: api.ErrorDetail{Code: "Unauthorized", Message: "no"}})
			return
		}
		mu.Lock()
		queries = append(queries, r.URL.Path+"?"+r.URL.RawQuery)
		mu.Unlock()
		switch r.URL.Path {
		case "/v1/tenants":
			if r.URL.Query().Get("after") == "" {
				_ = json.NewEncoder(w).Encode(api.TenantList{Tenants: []api.Tenant{{AccountID: "111111111111"}}, Next: "111111111111"})
				return
			}
			_ = json.NewEncoder(w).Encode(api.TenantList{Tenants: []api.Tenant{{AccountID: "222222222222"}}})
		case "/v1/tenants/111111111111/usage", "/v1/tenants/222222222222/usage":
			from, _ := time.Parse(time.RFC3339, r.URL.Query().Get("from"))
			u := api.Usage{Granularity: r.URL.Query().Get("granularity")}
			q := func(meter string, n int64, dims ...string) api.UsageQuantity {
				d := map[string]string{}
				for i := 0; i < len(dims); i += 2 {
					d[dims[i]] = dims[i+1]
				}
				return api.UsageQuantity{Meter: meter, Dimensions: d, Quantity: n, Unit: "request_units"}
			}
			u.Buckets = []api.UsageBucket{{Start: from, End: from.Add(time.Hour), Quantities: []api.UsageQuantity{
				q("requests", 5, "queue", "orders", "region", "us-east-1", "queueType", "standard", "action", "send"),
				q("requests", 2, "queue", "orders", "region", "us-east-1", "queueType", "standard", "action", "receive"),
				q("storage_byte_hours", 100, "queue", "orders", "region", "us-east-1", "tier", "hot"),
				q("unauthenticated_requests", 1),
			}}}
			_ = json.NewEncoder(w).Encode(u)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &queries
}

func TestBillingExportCloudEvents(t *testing.T) {
	srv, queries := fakeUsage(t)
	args := []string{"billing", "export", "--endpoint", srv.URL, "--token", "op-token", "--deployment", "prod-eu",
		"--from", "2025-03-04T10:00:00Z", "--to", "2025-03-04T12:00:00Z"}
	code, out, errOut := runCmd(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	code, again, _ := runCmd(t, args...)
	if code != 0 || again != out {
		t.Fatalf("a re-export differs:\n%s\nthen\n%s", out, again)
	}
	for _, q := range *queries {
		if strings.Contains(q, "/usage?") && (!strings.Contains(q, "granularity=hour") || !strings.Contains(q, "groupBy=queue%2Caction")) {
			t.Errorf("usage query %s", q)
		}
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	// 2 accounts × 1 bucket (the fake answers one per call) × 4 quantities.
	if len(lines) != 8 {
		t.Fatalf("%d lines:\n%s", len(lines), out)
	}
	ids := map[string]bool{}
	for _, l := range lines {
		var e map[string]any
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		id, _ := e["id"].(string)
		if len(id) != 64 || ids[id] {
			t.Errorf("id %q (length 64, unique)", id)
		}
		ids[id] = true
		data, _ := e["data"].(map[string]any)
		if e["specversion"] != "1.0" || e["source"] != "sluice://prod-eu" || e["datacontenttype"] != "application/json" ||
			!strings.HasPrefix(e["type"].(string), "sluice.usage.") || e["time"] != "2025-03-04T10:00:00Z" ||
			data == nil || data["windowStart"] != "2025-03-04T10:00:00Z" || data["windowEnd"] != "2025-03-04T11:00:00Z" {
			t.Errorf("event %s", l)
		}
		for _, k := range []string{"queue", "region", "queueType", "action", "tier", "quantity", "unit"} {
			if _, ok := data[k]; !ok {
				t.Errorf("event %s has no data.%s", l, k)
			}
		}
	}
	var first usageEvent
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	// Sorted: region "" (calls on no queue) first.
	if first.Subject != "111111111111" || first.Type != "sluice.usage.unauthenticated_requests" || first.Data.Quantity != 1 {
		t.Fatalf("first event %+v", first)
	}
	// The id depends on the source, the window and the dimensions.
	d := first.Data
	id := usageEventID("sluice://prod-eu", "111111111111", d.WindowStart, d.WindowEnd, d, "unauthenticated_requests")
	if id != first.ID ||
		usageEventID("sluice://other", "111111111111", d.WindowStart, d.WindowEnd, d, "unauthenticated_requests") == id ||
		usageEventID("sluice://prod-eu", "111111111111", d.WindowStart, d.WindowStart.AddDate(0, 0, 1), d, "unauthenticated_requests") == id {
		t.Fatalf("id %s not as computed", first.ID)
	}
}

func TestBillingExportCSV(t *testing.T) {
	srv, _ := fakeUsage(t)
	code, out, errOut := runCmd(t, "billing", "export", "--endpoint", srv.URL, "--token", "op-token", "--format", "csv",
		"--account", "222222222222", "--granularity", "day", "--from", "2025-03-04", "--to", "2025-03-05")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != "period_start,period_end,account,region,queue,meter,queue_type,action,tier,quantity,unit" || len(rows) != 5 {
		t.Fatalf("csv:\n%s", out)
	}
	want := "2025-03-04T00:00:00Z,2025-03-05T00:00:00Z,222222222222,us-east-1,orders,requests,standard,send,,5,request_units"
	if !strings.Contains(out, want+"\n") {
		t.Fatalf("csv has no row %s:\n%s", want, out)
	}
}

func TestBillingExportExitCodes(t *testing.T) {
	srv, _ := fakeUsage(t)
	base := []string{"billing", "export", "--endpoint", srv.URL, "--token", "op-token"}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"billing", "export", "--help"}, 0, "-granularity"},
		{[]string{"billing", "--help"}, 0, "billing export"},
		{[]string{"billing"}, 1, "want"},
		{[]string{"billing", "export", "--nope"}, 2, "not defined"},
		{append(base, "--to", "2025-03-05"), 1, "--from is required"},
		{append(base, "--from", "2025-03-04T10:30:00Z", "--to", "2025-03-05"), 1, "start of a UTC hour"},
		{append(base, "--from", "2025-03-04T10:00:00Z", "--to", "2025-03-05", "--granularity", "day"), 1, "start of a UTC day"},
		{append(base, "--from", "2025-03-05", "--to", "2025-03-04"), 1, "after --from"},
		{append(base, "--from", "2025-03-04", "--to", "2025-03-05", "--format", "xml"), 1, "--format"},
		{[]string{"billing", "export", "--endpoint", srv.URL, "--token", "wrong", "--from", "2025-03-04", "--to", "2025-03-05"}, 1, "Unauthorized"},
	} {
		code, out, errOut := runCmd(t, c.args...)
		if code != c.code || !strings.Contains(out+errOut, c.want) {
			t.Errorf("%v: exit %d (want %d), %q %q", c.args, code, c.code, out, errOut)
		}
	}
}

// Against `sluice dev`: an operator token minted from the data
// directory's key reads the usage route; older hours are refused with the
// route's message.
func TestBillingExportFromDev(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	endpoint, stop := startDev(t, "--data", data, "--listen", "127.0.0.1:0")
	defer stop()
	hour := time.Now().UTC().Truncate(time.Hour)
	code, out, errOut := runCmd(t, "billing", "export", "--endpoint", endpoint, "--data", data,
		"--from", hour.Format(time.RFC3339), "--to", hour.Add(time.Hour).Format(time.RFC3339))
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	code, _, errOut = runCmd(t, "billing", "export", "--endpoint", endpoint, "--data", data,
		"--from", hour.AddDate(0, 0, -5).Format(time.RFC3339), "--to", hour.Format(time.RFC3339))
	if code != 1 || !strings.Contains(errOut, "granularity=day") {
		t.Fatalf("hourly export of rolled-up days: exit %d: %s", code, errOut)
	}
}
