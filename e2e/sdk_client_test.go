package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sluice-mq/sluice/e2e/internal/sluiceproc"
	"github.com/sluice-mq/sluice/sdk/api"
	"github.com/sluice-mq/sluice/sdk/client"
)

// recorder is an http.RoundTripper that notes the method and path of each
// request answered 2xx.
type recorder struct {
	mu   sync.Mutex
	seen []string // "GET /v1/tenants/123…"
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil && resp.StatusCode/100 == 2 {
		r.mu.Lock()
		r.seen = append(r.seen, req.Method+" "+req.URL.EscapedPath())
		r.mu.Unlock()
	}
	return resp, err
}

// routesOf is the set "METHOD template" of an OpenAPI document.
func routesOf(t *testing.T, doc []byte) map[string]bool {
	t.Helper()
	var d struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for p, ops := range d.Paths {
		for m := range ops {
			if m != "parameters" {
				out[strings.ToUpper(m)+" "+p] = true
			}
		}
	}
	return out
}

// matchRoute names the route ("METHOD template") of a request
// ("METHOD /path"), the one with fewest parameters if several match.
func matchRoute(routes map[string]bool, request string) string {
	param := regexp.MustCompile(`\\\{[a-zA-Z]+\\\}`)
	best, bestParams := "", 99
	for r := range routes {
		re := regexp.MustCompile("^" + param.ReplaceAllString(regexp.QuoteMeta(r), `[^/]+`) + "$")
		if n := strings.Count(r, "{"); re.MatchString(request) && n < bestParams {
			best, bestParams = r, n
		}
	}
	return best
}

// TestSDKClientCoversTheServedAPI drives a real `sluice dev` through every
// method of sdk/client and checks that the routes answered 2xx are exactly
// the routes of the OpenAPI document the server serves: a route added to
// the server without a client method fails here.
func TestSDKClientCoversTheServedAPI(t *testing.T) {
	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	rec := &recorder{}
	op, err := client.New(p.Endpoint, client.WithToken(p.OperatorToken), client.WithHTTPClient(&http.Client{Transport: rec, Timeout: 30 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	doc, err := op.OpenAPI(ctx)
	must("OpenAPI", err)

	// Price plans.
	plans, err := op.ListPlans(ctx)
	must("ListPlans", err)
	if len(plans) != 3 {
		t.Errorf("ListPlans: %d plans, want 3", len(plans))
	}
	eur := "EUR"
	pp, err := op.PutPlan(ctx, api.PlanLarge, api.PutPricePlanRequest{Currency: &eur})
	must("PutPlan", err)
	cur, err := op.GetPlan(ctx, api.PlanLarge)
	must("GetPlan", err)
	v0, err := op.GetPlanVersion(ctx, api.PlanLarge, 0)
	must("GetPlanVersion", err)
	if cur.Version != pp.Version || cur.Currency != "EUR" || v0.Version != 0 || v0.Currency == "EUR" {
		t.Errorf("plan: put %+v, current %+v, version 0 %+v", pp, cur, v0)
	}

	// Tenants, paged one at a time past the dev tenant.
	tn, err := op.CreateTenant(ctx, api.CreateTenantRequest{Name: "sdk"})
	must("CreateTenant", err)
	var accounts []string
	for t2, err := range op.ListTenants(ctx, 1) {
		must("ListTenants", err)
		accounts = append(accounts, t2.AccountID)
	}
	if !slices.Contains(accounts, tn.AccountID) || !slices.Contains(accounts, p.AccountID) {
		t.Errorf("ListTenants = %v, want %s and %s", accounts, tn.AccountID, p.AccountID)
	}
	_, err = op.CreateTenant(ctx, api.CreateTenantRequest{AccountID: tn.AccountID})
	if !client.IsConflict(err) {
		t.Errorf("CreateTenant of a taken account: %v, want a conflict", err)
	}
	large := api.PlanLarge
	up, err := op.UpdateTenant(ctx, tn.AccountID, api.UpdateTenantRequest{Plan: &large})
	must("UpdateTenant", err)
	got, err := op.GetTenant(ctx, tn.AccountID)
	must("GetTenant", err)
	if up.Plan != api.PlanLarge || got.Plan != api.PlanLarge {
		t.Errorf("plan after UpdateTenant: %s, %s", up.Plan, got.Plan)
	}
	s, err := op.SuspendTenant(ctx, tn.AccountID)
	must("SuspendTenant", err)
	r, err := op.ResumeTenant(ctx, tn.AccountID)
	must("ResumeTenant", err)
	if s.Status != api.TenantSuspended || r.Status != api.TenantActive {
		t.Errorf("statuses %s, %s", s.Status, r.Status)
	}

	// Access keys: one to send with, one to disable and delete.
	key, err := op.CreateAccessKey(ctx, tn.AccountID)
	must("CreateAccessKey", err)
	spare, err := op.CreateAccessKey(ctx, tn.AccountID)
	must("CreateAccessKey", err)
	keys, err := op.ListAccessKeys(ctx, tn.AccountID)
	must("ListAccessKeys", err)
	if len(keys) != 2 || keys[0].SecretAccessKey != "" {
		t.Errorf("ListAccessKeys = %+v", keys)
	}
	k, err := op.UpdateAccessKey(ctx, tn.AccountID, spare.AccessKeyID, api.UpdateAccessKeyRequest{Status: api.KeyInactive})
	must("UpdateAccessKey", err)
	if k.Status != api.KeyInactive {
		t.Errorf("key status %s", k.Status)
	}
	must("DeleteAccessKey", op.DeleteAccessKey(ctx, tn.AccountID, spare.AccessKeyID))
	if err := op.DeleteAccessKey(ctx, tn.AccountID, spare.AccessKeyID); !client.IsNotFound(err) {
		t.Errorf("DeleteAccessKey again: %v, want not found", err)
	}

	// Queues, with tiering settings and the storage figures of a sent
	// message.
	window := int64(60)
	q, err := op.CreateQueue(ctx, tn.AccountID, api.CreateQueueRequest{Name: "orders", Tiering: &api.TieringPatch{HotWindowSeconds: &window}})
	must("CreateQueue", err)
	if q.Tiering.HotWindowSeconds != 60 || q.Tiering.HotBytesBudget != api.DefaultHotBytesBudget {
		t.Errorf("tiering %+v", q.Tiering)
	}
	sq := sqsClientFor(p, key.AccessKeyID, key.SecretAccessKey)
	url, err := sq.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("orders")})
	must("GetQueueUrl", err)
	_, err = sq.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: url.QueueUrl, MessageBody: aws.String("hello")})
	must("SendMessage", err)
	deadline := time.Now().Add(10 * time.Second)
	for {
		q, err = op.GetQueue(ctx, tn.AccountID, "orders")
		must("GetQueue", err)
		if q.Storage.Messages == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if q.Storage.Messages != 1 || q.Storage.HotBytes != 5 {
		t.Errorf("storage %+v, want 1 message of 5 hot bytes", q.Storage)
	}
	q, err = op.UpdateQueue(ctx, tn.AccountID, "orders", api.UpdateQueueRequest{Tags: map[string]string{"team": "sdk"}, Attributes: map[string]string{"VisibilityTimeout": "45"}})
	must("UpdateQueue", err)
	if q.Tags["team"] != "sdk" || q.Attributes["VisibilityTimeout"] != "45" {
		t.Errorf("after UpdateQueue: tags %v, VisibilityTimeout %s", q.Tags, q.Attributes["VisibilityTimeout"])
	}
	var names []string
	for n, err := range op.ListQueues(ctx, tn.AccountID, "ord", 0) {
		must("ListQueues", err)
		names = append(names, n)
	}
	if !slices.Equal(names, []string{"orders"}) {
		t.Errorf("ListQueues = %v", names)
	}

	// Topics and subscriptions.
	tp, err := op.CreateTopic(ctx, tn.AccountID, api.CreateTopicRequest{Name: "events", Tags: map[string]string{"team": "sdk"}})
	must("CreateTopic", err)
	if tp.ARN != "arn:aws:sns:"+p.Region+":"+tn.AccountID+":events" || tp.Tags["team"] != "sdk" {
		t.Errorf("topic %+v", tp)
	}
	tp, err = op.UpdateTopic(ctx, tn.AccountID, "events", api.UpdateTopicRequest{Attributes: map[string]string{"DisplayName": "Events"}, RemoveTags: []string{"team"}})
	must("UpdateTopic", err)
	if tp.Attributes["DisplayName"] != "Events" || len(tp.Tags) != 0 {
		t.Errorf("after UpdateTopic %+v", tp)
	}
	_, err = op.GetTopic(ctx, tn.AccountID, "events")
	must("GetTopic", err)
	var topicNames []string
	for n, err := range op.ListTopics(ctx, tn.AccountID) {
		must("ListTopics", err)
		topicNames = append(topicNames, n)
	}
	if !slices.Equal(topicNames, []string{"events"}) {
		t.Errorf("ListTopics = %v", topicNames)
	}
	sub, err := op.Subscribe(ctx, tn.AccountID, "events", api.CreateSubscriptionRequest{Protocol: "sqs", Endpoint: "orders",
		Attributes: map[string]string{"FilterTags": `["red"]`}})
	must("Subscribe", err)
	sub, err = op.UpdateSubscription(ctx, tn.AccountID, "events", sub.ID, api.UpdateSubscriptionRequest{Attributes: map[string]string{"BindingKeys": `["order.#"]`}})
	must("UpdateSubscription", err)
	if sub.Attributes["FilterTags"] != `["red"]` || sub.Attributes["BindingKeys"] != `["order.#"]` {
		t.Errorf("subscription %+v", sub)
	}
	_, err = op.GetSubscription(ctx, tn.AccountID, "events", sub.ID)
	must("GetSubscription", err)
	var subIDs []string
	for s, err := range op.ListSubscriptions(ctx, tn.AccountID, "events") {
		must("ListSubscriptions", err)
		subIDs = append(subIDs, s.ID)
	}
	if !slices.Equal(subIDs, []string{sub.ID}) {
		t.Errorf("ListSubscriptions = %v", subIDs)
	}
	must("Unsubscribe", op.Unsubscribe(ctx, tn.AccountID, "events", sub.ID))
	must("DeleteTopic", op.DeleteTopic(ctx, tn.AccountID, "events"))
	if _, err := op.GetTopic(ctx, tn.AccountID, "events"); !client.IsNotFound(err) {
		t.Errorf("GetTopic after delete: %v, want not found", err)
	}

	// Usage and invoices.
	u, err := op.GetUsage(ctx, tn.AccountID, client.UsageQuery{Granularity: client.GranularityHour, GroupBy: []string{"queue", "action"}})
	must("GetUsage", err)
	if u.AccountID != tn.AccountID || u.Granularity != "hour" {
		t.Errorf("usage %+v", u)
	}
	invs, err := op.ListInvoices(ctx, tn.AccountID)
	must("ListInvoices", err)
	if len(invs) == 0 {
		t.Fatal("ListInvoices: none, want this month's draft")
	}
	last := invs[len(invs)-1]
	inv, err := op.GetInvoice(ctx, tn.AccountID, last.ID)
	must("GetInvoice", err)
	csv, err := op.GetInvoiceCSV(ctx, tn.AccountID, last.ID)
	must("GetInvoiceCSV", err)
	if inv.ID != last.ID || !strings.HasPrefix(string(csv), "invoice_id,") {
		t.Errorf("invoice %s, CSV %.40q", inv.ID, csv)
	}

	must("DeleteQueue", op.DeleteQueue(ctx, tn.AccountID, "orders"))
	if _, err := op.GetQueue(ctx, tn.AccountID, "orders"); !client.IsNotFound(err) {
		t.Errorf("GetQueue after delete: %v, want not found", err)
	}

	// A tenant-admin token works until it revokes itself.
	tok, err := op.CreateToken(ctx, tn.AccountID, api.CreateTokenRequest{TTLSeconds: 600})
	must("CreateToken", err)
	admin, err := client.New(p.Endpoint, client.WithToken(tok.Token), client.WithHTTPClient(&http.Client{Transport: rec}))
	must("New", err)
	_, err = admin.GetTenant(ctx, tn.AccountID)
	must("GetTenant as tenant-admin", err)
	_, err = admin.RevokeToken(ctx, api.RevokeTokenRequest{Token: tok.Token})
	must("RevokeToken", err)
	if _, err := admin.GetTenant(ctx, tn.AccountID); !errors.Is(err, client.ErrUnauthorized) {
		t.Errorf("revoked token: %v, want unauthorized", err)
	}

	del, err := op.DeleteTenant(ctx, tn.AccountID)
	must("DeleteTenant", err)
	if del.Status != api.TenantDeleting {
		t.Errorf("DeleteTenant status %s", del.Status)
	}

	routes := routesOf(t, doc)
	called := map[string]bool{}
	rec.mu.Lock()
	for _, req := range rec.seen {
		r := matchRoute(routes, req)
		if r == "" {
			t.Errorf("%s answered 2xx but is in no route of the document", req)
		}
		called[r] = true
	}
	rec.mu.Unlock()
	var missing []string
	for r := range routes {
		if !called[r] {
			missing = append(missing, r)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("routes of /v1/openapi.json no client method reached: %v", missing)
	}
	if len(routes) != len(api.Routes) {
		t.Errorf("the document has %d routes, api.Routes %d", len(routes), len(api.Routes))
	}
}
