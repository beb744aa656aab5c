package console_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/console"
	"github.com/sluice-mq/sluice/control-plane/jwtauth"

	"github.com/sluice-mq/sluice/internal/syncbuf"
)

func TestRedriveFromTheDeadLetterQueue(t *testing.T) {
	f := newFixture(t)
	u := f.as(t, jwtauth.RoleTenantAdmin, accountA)
	setupQueues(t, u)
	q := "/console/a/" + accountA + "/queues/"
	u.mustPost(q+"orders/send", url.Values{"body": {"to be dead-lettered"}})
	// maxReceiveCount 1: the first poll receives it, the second (after
	// the 1 s visibility) moves it to orders-dlq.
	if body, resp := u.post(q+"orders/poll", url.Values{"visibility": {"1"}, "wait": {"1"}}); resp.StatusCode != http.StatusOK || !strings.Contains(body, "to be dead-lettered") {
		t.Fatalf("first poll: %d", resp.StatusCode)
	}
	time.Sleep(1100 * time.Millisecond)
	if body, resp := u.post(q+"orders/poll", url.Values{"wait": {"1"}}); resp.StatusCode != http.StatusOK || !strings.Contains(body, "No messages were available.") {
		t.Fatalf("second poll: %d:\n%s", resp.StatusCode, body)
	}
	u.mustPost(q+"orders-dlq/moves", url.Values{"rate": {"10"}})
	waitFor(t, func() bool {
		body, _ := u.get(q + "orders-dlq/moves")
		return strings.Contains(body, `data-status="COMPLETED"`) && regexp.MustCompile(`data-moved>1<`).MatchString(body)
	})
	body, _ := u.get(q + "orders")
	if !strings.Contains(body, `<td id="count-visible">1</td>`) {
		t.Errorf("the message is not back in orders:\n%.3000s", body)
	}
	// Bad input gets SQS's error, not a 500: a rate past 500.
	if body, resp := u.post(q+"orders-dlq/moves", url.Values{"rate": {"100000"}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "InvalidParameterValue") {
		t.Errorf("rate 100000: %d:\n%.1500s", resp.StatusCode, body)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 20s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestAPIErrorsAreShownAsTheAPIAnswersThem(t *testing.T) {
	f := newFixture(t)
	u := f.as(t, jwtauth.RoleTenantAdmin, accountA)
	a := "/console/a/" + accountA + "/queues"
	cases := []struct {
		path   string
		form   url.Values
		status int
		code   string
	}{
		{a, url.Values{"name": {"bad name!"}, "type": {"standard"}}, http.StatusBadRequest, "InvalidParameterValue"},
		{a, url.Values{"name": {"ok"}, "type": {"standard"}, "VisibilityTimeout": {"43201"}}, http.StatusBadRequest, "InvalidAttributeValue"},
		{a, url.Values{"name": {"plain"}, "type": {"fifo"}}, http.StatusBadRequest, "InvalidParameterValue"},
		{a + "/missing/send", url.Values{"body": {"x"}}, http.StatusBadRequest, "AWS.SimpleQueueService.NonExistentQueue"},
		{a + "/missing/delete", url.Values{"confirm": {"missing"}}, http.StatusNotFound, "AWS.SimpleQueueService.NonExistentQueue"},
	}
	for _, c := range cases {
		body, resp := u.post(c.path, c.form)
		if resp.StatusCode != c.status || !strings.Contains(body, c.code) {
			t.Errorf("POST %s %v: %d, want %d %s:\n%.1500s", c.path, c.form, resp.StatusCode, c.status, c.code, body)
		}
	}
	// A FIFO queue takes its group id; its send form asks for one.
	u.mustPost(a, url.Values{"name": {"jobs.fifo"}, "type": {"fifo"}, "ContentBasedDeduplication": {"true"}})
	if body, _ := u.get(a + "/jobs.fifo"); !strings.Contains(body, `name="group"`) {
		t.Error("the FIFO queue's send form has no group id")
	}
	u.mustPost(a+"/jobs.fifo/send", url.Values{"body": {"first"}, "group": {"g1"}})
	if body, resp := u.post(a+"/jobs.fifo/send", url.Values{"body": {"no group"}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "MissingParameter") {
		t.Errorf("FIFO send without a group: %d:\n%.1500s", resp.StatusCode, body)
	}
}

func TestQueueSettings(t *testing.T) {
	f := newFixture(t)
	u := f.as(t, jwtauth.RoleTenantAdmin, accountA)
	setupQueues(t, u)
	q := "/console/a/" + accountA + "/queues/orders"
	u.mustPost(q+"/attributes", url.Values{"VisibilityTimeout": {"120"}, "DelaySeconds": {"0"}})
	u.mustPost(q+"/tags", url.Values{"tags": {"team=payments\nenv=prod\n"}})
	u.mustPost("/console/a/"+accountA+"/queues/orders-dlq/redrive-allow-policy", url.Values{"permission": {"byQueue"}, "sources": {"orders"}})
	body, _ := u.get(q)
	for _, want := range []string{`name="VisibilityTimeout" min="0" max="43200" value="120"`, "env=prod\nteam=payments", "orders-dlq</a> after 1 receives"} {
		if !strings.Contains(body, want) {
			t.Errorf("the queue page lacks %q", want)
		}
	}
	if body, _ := u.get("/console/a/" + accountA + "/queues/orders-dlq"); !strings.Contains(body, "<option selected>byQueue</option>") || !strings.Contains(body, ">orders\n</textarea>") {
		t.Errorf("the redrive allow policy is not shown:\n%.4000s", body)
	}
	if body, resp := u.post(q+"/policy", url.Values{"policy": {"{not json"}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "InvalidAttributeValue") {
		t.Errorf("a policy that is not JSON: %d:\n%.1500s", resp.StatusCode, body)
	}
	u.mustPost(q+"/policy", url.Values{"policy": {`{"Version":"2012-10-17","Statement":[]}`}})
	if body, _ := u.get(q); !strings.Contains(body, `{&#34;Version&#34;:&#34;2012-10-17&#34;,&#34;Statement&#34;:[]}</textarea>`) {
		t.Error("the policy is not shown")
	}
	u.mustPost(q+"/tags", url.Values{"tags": {"team=payments"}})
	if body, _ := u.get(q); strings.Contains(body, "env=prod") {
		t.Error("a removed tag is still there")
	}
	u.mustPost(q+"/redrive-policy", url.Values{"target": {""}})
	if body, _ := u.get(q); !strings.Contains(body, "<td>Dead-letter queue</td><td>none</td>") {
		t.Error("the redrive policy was not removed")
	}
	// Purge and delete want their confirmations typed.
	if _, resp := u.post(q+"/purge", url.Values{"confirm": {"nope"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("purge without confirmation: %d", resp.StatusCode)
	}
	u.mustPost(q+"/purge", url.Values{"confirm": {"purge"}})
	if _, resp := u.post(q+"/delete", url.Values{"confirm": {"order"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("delete with the wrong name: %d", resp.StatusCode)
	}
	u.mustPost(q+"/delete", url.Values{"confirm": {"orders"}})
	if _, resp := u.get(q); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the deleted queue's page: %d, want 404", resp.StatusCode)
	}
}

func TestTenantsAndKeys(t *testing.T) {
	f := newFixture(t)
	op := f.as(t, jwtauth.RoleOperator, "")
	const c = "333333333333"
	op.mustPost("/console/tenants", url.Values{"account": {c}, "name": {"Carol"}, "plan": {"free"}})
	op.mustPost("/console/tenants/"+c+"/plan", url.Values{"plan": {"large"}})
	op.mustPost("/console/tenants/"+c+"/suspend", nil)
	body, _ := op.get("/console/tenants")
	row := regexp.MustCompile(`(?s)<tr data-account="` + c + `">.*?</tr>`).FindString(body)
	if !strings.Contains(row, "<td>suspended</td>") || !strings.Contains(row, "<option selected>large</option>") {
		t.Errorf("tenant row after plan and suspend:\n%s", row)
	}
	// A suspended tenant's messages are refused as SQS refuses them.
	op.mustPost("/console/a/"+c+"/queues", url.Values{"name": {"q"}, "type": {"standard"}})
	if body, resp := op.post("/console/a/"+c+"/queues/q/send", url.Values{"body": {"x"}}); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "AccessDenied") {
		t.Errorf("send to a suspended tenant: %d", resp.StatusCode)
	}
	op.mustPost("/console/tenants/"+c+"/resume", nil)
	op.mustPost("/console/a/"+c+"/queues/q/send", url.Values{"body": {"x"}})

	// The secret is in the reply that creates the key, and nowhere after.
	body, resp := op.post("/console/a/"+c+"/keys", nil)
	m := regexp.MustCompile(`id="new-secret">([^<]+)<`).FindStringSubmatch(body)
	if resp.StatusCode != http.StatusCreated || m == nil {
		t.Fatalf("create key: %d:\n%.2000s", resp.StatusCode, body)
	}
	secret := m[1]
	keys, _ := op.get("/console/a/" + c + "/keys")
	if strings.Contains(keys, secret) {
		t.Error("the keys page shows a secret again")
	}
	id := regexp.MustCompile(`<code>(SL[A-Z0-9]+)</code>`).FindStringSubmatch(keys)
	if id == nil {
		t.Fatalf("no key listed:\n%s", keys)
	}
	op.mustPost("/console/a/"+c+"/keys/"+id[1]+"/status", url.Values{"status": {"inactive"}})
	if keys, _ := op.get("/console/a/" + c + "/keys"); !strings.Contains(keys, "<td>inactive</td>") {
		t.Error("the key was not disabled")
	}
	op.mustPost("/console/a/"+c+"/keys/"+id[1]+"/delete", nil)
	if keys, _ := op.get("/console/a/" + c + "/keys"); strings.Contains(keys, id[1]) {
		t.Error("the key was not deleted")
	}
	if _, resp := op.post("/console/tenants/"+c+"/delete", url.Values{"confirm": {"wrong"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("delete without typing the account: %d", resp.StatusCode)
	}
	op.mustPost("/console/tenants/"+c+"/delete", url.Values{"confirm": {c}})
	body, _ = op.get("/console/tenants")
	row = regexp.MustCompile(`(?s)<tr data-account="` + c + `">.*?</tr>`).FindString(body)
	if row != "" && !strings.Contains(row, "<td>deleting</td>") {
		t.Errorf("tenant row after delete:\n%s", row)
	}
}

func TestUsageAndInvoices(t *testing.T) {
	f := newFixture(t)
	u := f.as(t, jwtauth.RoleTenantAdmin, accountA)
	body, resp := u.get("/console/a/" + accountA + "/usage")
	if resp.StatusCode != http.StatusOK || strings.Count(body, `<rect class="bar"`) != 60 {
		t.Fatalf("usage page: %d, want two charts of 30 bars:\n%.3000s", resp.StatusCode, body)
	}
	m := regexp.MustCompile(`href="(/console/a/` + accountA + `/invoices/[^"]+/csv)"`).FindStringSubmatch(body)
	if m == nil || !strings.Contains(body, "<td>draft</td>") {
		t.Fatalf("no draft invoice with its CSV link:\n%.3000s", body)
	}
	csv, resp := u.get(m[1])
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), `attachment; filename="inv_`+accountA) || !strings.Contains(csv, ",") {
		t.Errorf("invoice CSV: %d %v\n%.500s", resp.StatusCode, resp.Header, csv)
	}
	// Another account's invoice is refused.
	if _, resp := u.get(strings.ReplaceAll(m[1], accountA, accountB)); resp.StatusCode != http.StatusForbidden {
		t.Errorf("another account's invoice: %d, want 403", resp.StatusCode)
	}
}

func TestControlPlaneOnlyNode(t *testing.T) {
	f := newFixtureWith(t, func(o *console.Options) { o.SQS, o.Gauges = nil, nil })
	u := f.as(t, jwtauth.RoleTenantAdmin, accountA)
	a := "/console/a/" + accountA + "/queues"
	u.mustPost(a, url.Values{"name": {"orders"}, "type": {"standard"}})
	body, resp := u.get(a + "/orders")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "does not run the data plane") || strings.Contains(body, `id="send"`) {
		t.Errorf("queue page on a control-plane node: %d", resp.StatusCode)
	}
	if body, resp := u.post(a+"/orders/send", url.Values{"body": {"x"}}); resp.StatusCode != http.StatusNotImplemented || !strings.Contains(body, "NoDataPlane") {
		t.Errorf("send on a control-plane node: %d", resp.StatusCode)
	}
	if _, resp := u.get(a); resp.StatusCode != http.StatusOK {
		t.Errorf("queue list on a control-plane node: %d", resp.StatusCode)
	}
}

// syncBuffer is a log sink the handlers write from their goroutines.
type syncBuffer = syncbuf.Buffer

func TestEveryActionIsAudited(t *testing.T) {
	var logs syncBuffer
	f := newFixtureWith(t, func(o *console.Options) { o.Log = slog.New(slog.NewJSONHandler(&logs, nil)) })
	u := f.as(t, jwtauth.RoleTenantAdmin, accountA)
	setupQueues(t, u)
	q := "/console/a/" + accountA + "/queues/orders"
	u.mustPost(q+"/send", url.Values{"body": {"x"}})
	u.post(q+"/poll", url.Values{"wait": {"0"}})
	u.post("/console/a/"+accountB+"/queues", url.Values{"name": {"x"}, "type": {"standard"}})
	u.post(q+"/send", url.Values{"csrf": {"forged"}, "body": {"x"}})

	type record struct {
		Msg     string
		Action  string
		Account string
		Target  string
		Outcome string
		Who     struct{ Role, Tenant, Token string }
		Time    time.Time
	}
	var got []record
	for line := range strings.Lines(logs.String()) {
		var r record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		if r.Msg == "console audit" {
			got = append(got, r)
		}
	}
	want := []struct{ action, account, target, outcome string }{
		{"create-queue", accountA, "orders-dlq", "ok"},
		{"create-queue", accountA, "orders", "ok"},
		{"set-redrive-policy", accountA, "orders", "ok"},
		{"send-message", accountA, "orders", "ok"},
		{"poll-messages", accountA, "orders", "ok"},
		{"create-queue", accountB, "x", "Forbidden"},
		{"csrf-refused", accountA, "", "InvalidCSRFToken"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d audit records, want %d:\n%s", len(got), len(want), logs.String())
	}
	for i, w := range want {
		r := got[i]
		if r.Action != w.action || r.Account != w.account || !strings.HasPrefix(r.Target, w.target) || r.Outcome != w.outcome ||
			r.Who.Role != "tenant-admin" || r.Who.Tenant != accountA || r.Who.Token == "" || r.Time.IsZero() {
			t.Errorf("record %d: %+v, want %+v", i, r, w)
		}
	}
}
