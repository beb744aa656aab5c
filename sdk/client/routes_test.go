package client_test

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/sdk/api"
	"github.com/sluice-mq/sluice/sdk/client"
)

const acct = "123456789012"

// routeCalls calls one client method per route of api.Routes, keyed
// "METHOD template". The e2e module runs the same methods against a real
// server and compares them with its OpenAPI document.
func routeCalls(c *client.Client) map[string]func(context.Context) error {
	ok := func(_ any, err error) error { return err }
	return map[string]func(context.Context) error{
		"GET " + api.PathOpenAPI: func(ctx context.Context) error { return ok(c.OpenAPI(ctx)) },
		"POST " + api.PathTenants: func(ctx context.Context) error {
			return ok(c.CreateTenant(ctx, api.CreateTenantRequest{Name: "t"}))
		},
		"GET " + api.PathTenants: func(ctx context.Context) error { return ok(c.ListTenantsPage(ctx, 10, "")) },
		"GET " + api.PathTenant:  func(ctx context.Context) error { return ok(c.GetTenant(ctx, acct)) },
		"PATCH " + api.PathTenant: func(ctx context.Context) error {
			p := api.PlanLarge
			return ok(c.UpdateTenant(ctx, acct, api.UpdateTenantRequest{Plan: &p}))
		},
		"DELETE " + api.PathTenant:      func(ctx context.Context) error { return ok(c.DeleteTenant(ctx, acct)) },
		"POST " + api.PathTenantSuspend: func(ctx context.Context) error { return ok(c.SuspendTenant(ctx, acct)) },
		"POST " + api.PathTenantResume:  func(ctx context.Context) error { return ok(c.ResumeTenant(ctx, acct)) },
		"POST " + api.PathAccessKeys:    func(ctx context.Context) error { return ok(c.CreateAccessKey(ctx, acct)) },
		"GET " + api.PathAccessKeys:     func(ctx context.Context) error { return ok(c.ListAccessKeys(ctx, acct)) },
		"PATCH " + api.PathAccessKey: func(ctx context.Context) error {
			return ok(c.UpdateAccessKey(ctx, acct, "AKID", api.UpdateAccessKeyRequest{Status: api.KeyInactive}))
		},
		"DELETE " + api.PathAccessKey: func(ctx context.Context) error { return c.DeleteAccessKey(ctx, acct, "AKID") },
		"POST " + api.PathQueues: func(ctx context.Context) error {
			return ok(c.CreateQueue(ctx, acct, api.CreateQueueRequest{Name: "q"}))
		},
		"GET " + api.PathQueues: func(ctx context.Context) error { return ok(c.ListQueuesPage(ctx, acct, "", 0, "")) },
		"GET " + api.PathQueue:  func(ctx context.Context) error { return ok(c.GetQueue(ctx, acct, "q")) },
		"PATCH " + api.PathQueue: func(ctx context.Context) error {
			return ok(c.UpdateQueue(ctx, acct, "q", api.UpdateQueueRequest{Tags: map[string]string{"a": "b"}}))
		},
		"DELETE " + api.PathQueue: func(ctx context.Context) error { return c.DeleteQueue(ctx, acct, "q") },
		"POST " + api.PathTopics: func(ctx context.Context) error {
			return ok(c.CreateTopic(ctx, acct, api.CreateTopicRequest{Name: "t"}))
		},
		"GET " + api.PathTopics: func(ctx context.Context) error { return ok(c.ListTopicsPage(ctx, acct, "")) },
		"GET " + api.PathTopic:  func(ctx context.Context) error { return ok(c.GetTopic(ctx, acct, "t")) },
		"PATCH " + api.PathTopic: func(ctx context.Context) error {
			return ok(c.UpdateTopic(ctx, acct, "t", api.UpdateTopicRequest{Tags: map[string]string{"a": "b"}}))
		},
		"DELETE " + api.PathTopic: func(ctx context.Context) error { return c.DeleteTopic(ctx, acct, "t") },
		"POST " + api.PathSubscriptions: func(ctx context.Context) error {
			return ok(c.Subscribe(ctx, acct, "t", api.CreateSubscriptionRequest{Protocol: "sqs", Endpoint: "q"}))
		},
		"GET " + api.PathSubscriptions: func(ctx context.Context) error { return ok(c.ListSubscriptionsPage(ctx, acct, "t", "")) },
		"GET " + api.PathSubscription:  func(ctx context.Context) error { return ok(c.GetSubscription(ctx, acct, "t", "id")) },
		"PATCH " + api.PathSubscription: func(ctx context.Context) error {
			return ok(c.UpdateSubscription(ctx, acct, "t", "id", api.UpdateSubscriptionRequest{Attributes: map[string]string{"RawMessageDelivery": "true"}}))
		},
		"DELETE " + api.PathSubscription: func(ctx context.Context) error { return c.Unsubscribe(ctx, acct, "t", "id") },
		"POST " + api.PathTenantTokens: func(ctx context.Context) error {
			return ok(c.CreateToken(ctx, acct, api.CreateTokenRequest{TTLSeconds: 60}))
		},
		"GET " + api.PathTenantUsage: func(ctx context.Context) error {
			return ok(c.GetUsage(ctx, acct, client.UsageQuery{From: time.Now().Add(-time.Hour), Granularity: client.GranularityHour, GroupBy: []string{"queue", "action"}}))
		},
		"POST " + api.PathRevokeToken: func(ctx context.Context) error {
			return ok(c.RevokeToken(ctx, api.RevokeTokenRequest{ID: "jti"}))
		},
		"GET " + api.PathInvoices: func(ctx context.Context) error { return ok(c.ListInvoices(ctx, acct)) },
		"GET " + api.PathInvoice:  func(ctx context.Context) error { return ok(c.GetInvoice(ctx, acct, "inv_"+acct+"_2025-01")) },
		"GET " + api.PathPlans:    func(ctx context.Context) error { return ok(c.ListPlans(ctx)) },
		"GET " + api.PathPlan:     func(ctx context.Context) error { return ok(c.GetPlan(ctx, api.PlanFree)) },
		"PUT " + api.PathPlan: func(ctx context.Context) error {
			cur := "EUR"
			return ok(c.PutPlan(ctx, api.PlanFree, api.PutPricePlanRequest{Currency: &cur}))
		},
	}
}

// templateRE matches the paths a template expands to.
func templateRE(template string) *regexp.Regexp {
	return regexp.MustCompile("^" + regexp.MustCompile(`\\\{[a-z]+\\\}`).ReplaceAllString(regexp.QuoteMeta(template), `[^/]+`) + "$")
}

// TestEveryRouteHasAClientMethod: each route of api.Routes has a method
// that sends that route's method and path, a JSON body exactly when the
// route reads one, and accepts the route's success status and reply.
func TestEveryRouteHasAClientMethod(t *testing.T) {
	var mu sync.Mutex
	var route api.Route
	var got struct {
		method, path string
		body         bool
	}
	c := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		b, _ := io.ReadAll(r.Body)
		got.method, got.path, got.body = r.Method, r.URL.Path, len(b) > 0
		if len(b) > 0 && r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s: body without Content-Type application/json", r.Method, r.URL.Path)
		}
		w.WriteHeader(route.Status)
		if route.Reply != nil || route.Path == api.PathOpenAPI {
			io.WriteString(w, `{}`)
		}
	})
	calls := routeCalls(c)
	if len(calls) != len(api.Routes) {
		t.Errorf("%d client calls for %d routes", len(calls), len(api.Routes))
	}
	for _, rt := range api.Routes {
		name := rt.Method + " " + rt.Path
		fn, ok := calls[name]
		if !ok {
			t.Errorf("no client method for %s", name)
			continue
		}
		mu.Lock()
		route = rt
		mu.Unlock()
		if err := fn(context.Background()); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		mu.Lock()
		if got.method != rt.Method || !templateRE(rt.Path).MatchString(got.path) {
			t.Errorf("%s sent %s %s", name, got.method, got.path)
		}
		if got.body != (rt.Request != nil) {
			t.Errorf("%s: sent a body: %v, the route reads one: %v", name, got.body, rt.Request != nil)
		}
		mu.Unlock()
	}
}

func TestUsageQueryParameters(t *testing.T) {
	var q string
	c := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		q = r.URL.RawQuery
		io.WriteString(w, `{"accountId":"`+acct+`","granularity":"hour"}`)
	})
	from := time.Date(2025, 3, 1, 10, 0, 0, 0, time.FixedZone("x", 3600))
	u, err := c.GetUsage(context.Background(), acct, client.UsageQuery{From: from, To: from.Add(2 * time.Hour), Granularity: client.GranularityHour, GroupBy: []string{"queue", "action"}})
	if err != nil || u.Granularity != "hour" {
		t.Fatal(u, err)
	}
	want := "from=2025-03-01T09%3A00%3A00Z&granularity=hour&groupBy=queue%2Caction&to=2025-03-01T11%3A00%3A00Z"
	if q != want {
		t.Errorf("query %q, want %q", q, want)
	}
	if _, err := c.GetUsage(context.Background(), acct, client.UsageQuery{}); err != nil || q != "" {
		t.Errorf("empty query sent %q, %v", q, err)
	}
}

func TestInvoiceCSVAsksForCSV(t *testing.T) {
	c := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept") != "text/csv" {
			t.Errorf("Accept %q", r.Header.Get("Accept"))
		}
		w.Header().Set("Content-Type", "text/csv")
		io.WriteString(w, "invoice_id,account_id\n")
	})
	b, err := c.GetInvoiceCSV(context.Background(), acct, "inv_"+acct+"_2025-01")
	if err != nil || !strings.HasPrefix(string(b), "invoice_id,") {
		t.Fatalf("%q, %v", b, err)
	}
}

func TestPlanVersionQuery(t *testing.T) {
	var q string
	c := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		q = r.URL.RawQuery
		io.WriteString(w, `{"name":"free","version":0}`)
	})
	if p, err := c.GetPlanVersion(context.Background(), api.PlanFree, 0); err != nil || p.Name != "free" || q != "version=0" {
		t.Fatalf("%+v, %v, query %q", p, err, q)
	}
}
