package restapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sluice-mq/sluice/control-plane/jwtauth"
	"github.com/sluice-mq/sluice/control-plane/restapi"
	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/data-plane/topics"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
	"github.com/sluice-mq/sluice/tenants"
	"github.com/sluice-mq/sluice/tenants/seal"
)

const jwtSecret = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

type fixture struct {
	e      *echo.Echo
	key    *jwtauth.Key
	engine *engine.Engine
	store  kv.Store
}

func newFixture(t *testing.T, store kv.Store) *fixture {
	t.Helper()
	return newFixtureWith(t, store, func(api *restapi.API, _ *tenants.Catalog) { api.WithUsage(store) })
}

// newFixtureWith is newFixture with the API configured by configure before
// its routes are registered.
func newFixtureWith(t *testing.T, store kv.Store, configure func(*restapi.API, *tenants.Catalog)) *fixture {
	t.Helper()
	sealer, err := seal.New(seal.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	key, err := jwtauth.ParseKey(jwtSecret)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(store, engine.Options{ReceiptKey: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	catalog := tenants.New(store, sealer, tenants.Options{})
	api := restapi.New(catalog, eng.Catalog(), eng.Stats(), "us-east-1", key, nil, nil).WithTopics(topics.New(store, topics.Options{}))
	configure(api, catalog)
	e := echo.New()
	api.Register(e)
	return &fixture{e: e, key: key, engine: eng, store: store}
}

func (f *fixture) token(t *testing.T, role jwtauth.Role, tenant string) string {
	t.Helper()
	tok, err := f.key.Mint(role, tenant, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// do sends a request and decodes the JSON reply into out (if non-nil).
func (f *fixture) do(t *testing.T, token, method, path, body string, wantStatus int, out any) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	f.e.ServeHTTP(rec, req)
	if rec.Code != wantStatus {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, rec.Code, wantStatus, rec.Body)
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			t.Fatalf("%s %s: reply %q: %v", method, path, rec.Body, err)
		}
	}
	if wantStatus >= 400 {
		var e struct {
			Error struct{ Code, Message string }
		}
		if json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error.Code == "" || e.Error.Message == "" {
			t.Fatalf("%s %s: error reply %q lacks code and message", method, path, rec.Body)
		}
	}
}

type tenantReply struct {
	AccountID, Name, Status string
}

type keyReply struct {
	AccessKeyID, AccountID, Status, SecretAccessKey string
}

func TestTenantsAndKeys(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		f := newFixture(t, store)
		op := f.token(t, jwtauth.RoleOperator, "")

		var a, b tenantReply
		f.do(t, op, "POST", "/v1/tenants", `{"name":"alpha"}`, 201, &a)
		f.do(t, op, "POST", "/v1/tenants", `{"accountId":"222233334444"}`, 201, &b)
		if len(a.AccountID) != 12 || a.Name != "alpha" || a.Status != "active" || b.AccountID != "222233334444" {
			t.Fatalf("created %+v, %+v", a, b)
		}
		f.do(t, op, "POST", "/v1/tenants", `{"accountId":"222233334444"}`, 409, nil)
		f.do(t, op, "POST", "/v1/tenants", `{"accountId":"12"}`, 400, nil)
		f.do(t, op, "POST", "/v1/tenants", `{"plan":"gold"}`, 400, nil)

		var page struct {
			Tenants []tenantReply
			Next    string
		}
		f.do(t, op, "GET", "/v1/tenants?limit=1", "", 200, &page)
		if len(page.Tenants) != 1 || page.Next == "" {
			t.Fatalf("page 1 = %+v", page)
		}
		after := page.Next
		page.Tenants, page.Next = nil, ""
		f.do(t, op, "GET", "/v1/tenants?limit=1&after="+after, "", 200, &page)
		if len(page.Tenants) != 1 || page.Next != "" {
			t.Fatalf("page 2 = %+v", page)
		}
		f.do(t, op, "GET", "/v1/tenants?limit=0", "", 400, nil)

		var k keyReply
		f.do(t, op, "POST", "/v1/tenants/"+a.AccountID+"/keys", "", 201, &k)
		if k.AccessKeyID == "" || len(k.SecretAccessKey) < 20 || k.AccountID != a.AccountID || k.Status != "active" {
			t.Fatalf("key = %+v", k)
		}
		var keys struct{ Keys []keyReply }
		f.do(t, op, "GET", "/v1/tenants/"+a.AccountID+"/keys", "", 200, &keys)
		if len(keys.Keys) != 1 || keys.Keys[0].SecretAccessKey != "" {
			t.Fatalf("listed keys = %+v (the secret must not be listed)", keys)
		}
		f.do(t, op, "PATCH", "/v1/tenants/"+a.AccountID+"/keys/"+k.AccessKeyID, `{"status":"inactive"}`, 200, &k)
		if k.Status != "inactive" {
			t.Fatalf("after PATCH: %+v", k)
		}
		f.do(t, op, "PATCH", "/v1/tenants/"+a.AccountID+"/keys/"+k.AccessKeyID, `{"status":"gone"}`, 400, nil)
		f.do(t, op, "PATCH", "/v1/tenants/"+b.AccountID+"/keys/"+k.AccessKeyID, `{"status":"active"}`, 404, nil)
		f.do(t, op, "DELETE", "/v1/tenants/"+a.AccountID+"/keys/"+k.AccessKeyID, "", 204, nil)
		f.do(t, op, "DELETE", "/v1/tenants/"+a.AccountID+"/keys/"+k.AccessKeyID, "", 404, nil)
		f.do(t, op, "GET", "/v1/tenants/999999999999/keys", "", 404, nil)

		f.do(t, op, "POST", "/v1/tenants/"+a.AccountID+"/suspend", "", 200, &a)
		if a.Status != "suspended" {
			t.Fatalf("after suspend: %+v", a)
		}
		f.do(t, op, "POST", "/v1/tenants/"+a.AccountID+"/resume", "", 200, &a)
		if a.Status != "active" {
			t.Fatalf("after resume: %+v", a)
		}
		f.do(t, op, "GET", "/v1/tenants/999999999999", "", 404, nil)
	})
}

func TestTokensAndScopes(t *testing.T) {
	f := newFixture(t, kvtest.OpenLocal(t))
	op := f.token(t, jwtauth.RoleOperator, "")
	var a, b tenantReply
	f.do(t, op, "POST", "/v1/tenants", `{}`, 201, &a)
	f.do(t, op, "POST", "/v1/tenants", `{}`, 201, &b)
	admin := f.token(t, jwtauth.RoleTenantAdmin, a.AccountID)

	// Its own account: reads and keys.
	f.do(t, admin, "GET", "/v1/tenants/"+a.AccountID, "", 200, nil)
	var k keyReply
	f.do(t, admin, "POST", "/v1/tenants/"+a.AccountID+"/keys", "", 201, &k)
	f.do(t, admin, "GET", "/v1/tenants/"+a.AccountID+"/keys", "", 200, nil)
	// Another account, existing or not, and operator routes: 403.
	for _, r := range []struct{ method, path, body string }{
		{"GET", "/v1/tenants/" + b.AccountID, ""},
		{"GET", "/v1/tenants/999999999999", ""},
		{"POST", "/v1/tenants/" + b.AccountID + "/keys", ""},
		{"GET", "/v1/tenants/" + b.AccountID + "/keys", ""},
		{"DELETE", "/v1/tenants/" + b.AccountID + "/keys/" + k.AccessKeyID, ""},
		{"POST", "/v1/tenants", "{}"},
		{"GET", "/v1/tenants", ""},
		{"POST", "/v1/tenants/" + a.AccountID + "/suspend", ""},
	} {
		f.do(t, admin, r.method, r.path, r.body, 403, nil)
	}

	// Bad tokens: 401 on every route.
	expired, err := f.key.Mint(jwtauth.RoleOperator, "", time.Minute, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	other, _ := jwtauth.ParseKey(strings.Repeat("ab", 32))
	foreign, _ := other.Mint(jwtauth.RoleOperator, "", time.Hour, time.Now())
	none := "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + // {"alg":"none","typ":"JWT"}
		"eyJyb2xlIjoib3BlcmF0b3IiLCJpc3MiOiJzbHVpY2UiLCJhdWQiOiJzbHVpY2UtY29udHJvbC1wbGFuZSIsImV4cCI6NDEwMjQ0NDgwMH0."
	for _, tok := range []string{"", "garbage", expired, foreign, none} {
		f.do(t, tok, "GET", "/v1/tenants", "", 401, nil)
	}
}

func TestPlanAndQuotas(t *testing.T) {
	f := newFixture(t, kvtest.OpenLocal(t))
	op := f.token(t, jwtauth.RoleOperator, "")
	var got struct {
		AccountID, Plan string
		Quotas          tenants.Quotas
		Effective       tenants.Quotas `json:"effectiveQuotas"`
	}
	f.do(t, op, "POST", "/v1/tenants", `{"plan":"free","quotas":{"sendPerSecond":5}}`, 201, &got)
	if got.Plan != "free" || got.Quotas.SendPerSecond != 5 || got.Effective.SendPerSecond != 5 || got.Effective.MaxQueues != 10 {
		t.Fatalf("created %+v", got)
	}
	f.do(t, op, "PATCH", "/v1/tenants/"+got.AccountID, `{"plan":"large","quotas":{"maxQueues":3}}`, 200, &got)
	if got.Plan != "large" || got.Effective.MaxQueues != 3 || got.Effective.SendPerSecond != 30000 {
		t.Fatalf("updated %+v", got)
	}
	f.do(t, op, "PATCH", "/v1/tenants/"+got.AccountID, `{"plan":"platinum"}`, 400, nil)
	f.do(t, op, "PATCH", "/v1/tenants/"+got.AccountID, `{}`, 400, nil)
	f.do(t, op, "PATCH", "/v1/tenants/999999999999", `{"plan":"free"}`, 404, nil)
	admin := f.token(t, jwtauth.RoleTenantAdmin, got.AccountID)
	f.do(t, admin, "PATCH", "/v1/tenants/"+got.AccountID, `{"plan":"large"}`, 403, nil)
}

func TestQueueProvisioning(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		f := newFixture(t, store)
		op := f.token(t, jwtauth.RoleOperator, "")
		var tenant, other tenantReply
		f.do(t, op, "POST", "/v1/tenants", `{"quotas":{"maxQueues":2}}`, 201, &tenant)
		f.do(t, op, "POST", "/v1/tenants", `{}`, 201, &other)
		admin := f.token(t, jwtauth.RoleTenantAdmin, tenant.AccountID)
		base := "/v1/tenants/" + tenant.AccountID + "/queues"

		type queue struct {
			Name, Arn  string
			Attributes map[string]string
			Tags       map[string]string
		}
		var q queue
		f.do(t, admin, "POST", base, `{"name":"orders","attributes":{"VisibilityTimeout":"45"},"tags":{"team":"a"}}`, 201, &q)
		if q.Arn != "arn:aws:sqs:us-east-1:"+tenant.AccountID+":orders" || q.Attributes["VisibilityTimeout"] != "45" ||
			q.Attributes["MessageRetentionPeriod"] != "345600" || q.Tags["team"] != "a" {
			t.Fatalf("created %+v", q)
		}
		// SQS semantics, SQS codes.
		f.do(t, admin, "POST", base, `{"name":"orders","attributes":{"VisibilityTimeout":"45"}}`, 201, nil)
		f.do(t, admin, "POST", base, `{"name":"orders","attributes":{"VisibilityTimeout":"46"}}`, 409, nil)
		f.do(t, admin, "POST", base, `{"name":"bad name!"}`, 400, nil)
		f.do(t, admin, "POST", base, `{"name":"x","attributes":{"VisibilityTimeout":"43201"}}`, 400, nil)
		f.do(t, admin, "POST", base, `{"name":"second"}`, 201, nil)
		f.do(t, admin, "POST", base, `{"name":"third"}`, 403, nil) // maxQueues 2

		var list struct{ Queues []string }
		f.do(t, admin, "GET", base, "", 200, &list)
		if len(list.Queues) != 2 {
			t.Fatalf("listed %v", list)
		}
		q = queue{}
		f.do(t, admin, "PATCH", base+"/orders", `{"attributes":{"DelaySeconds":"5"},"tags":{"env":"x"},"removeTags":["team"]}`, 200, &q)
		if q.Attributes["DelaySeconds"] != "5" || q.Tags["env"] != "x" || q.Tags["team"] != "" {
			t.Fatalf("updated %+v", q)
		}
		f.do(t, admin, "PATCH", base+"/orders", `{"attributes":{"Nope":"1"}}`, 400, nil)
		f.do(t, admin, "GET", base+"/missing", "", 404, nil)
		f.do(t, admin, "DELETE", base+"/orders", "", 204, nil)
		f.do(t, admin, "GET", base+"/orders", "", 404, nil)

		// Another tenant's admin, and a missing tenant.
		f.do(t, f.token(t, jwtauth.RoleTenantAdmin, other.AccountID), "GET", base+"/second", "", 403, nil)
		f.do(t, op, "GET", "/v1/tenants/"+other.AccountID+"/queues/second", "", 404, nil)
		f.do(t, op, "POST", "/v1/tenants/999999999999/queues", `{"name":"q"}`, 404, nil)
	})
}

func TestDeleteTenant(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		sealer, _ := seal.New(seal.GenerateKey())
		key, _ := jwtauth.ParseKey(jwtSecret)
		eng, err := engine.New(store, engine.Options{ReceiptKey: []byte("0123456789abcdef0123456789abcdef")})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = eng.Close() })
		catalog := tenants.New(store, sealer, tenants.Options{})
		api := restapi.New(catalog, eng.Catalog(), eng.Stats(), "us-east-1", key, nil, nil).WithTopics(topics.New(store, topics.Options{}))
		f := &fixture{e: echo.New(), key: key}
		api.Register(f.e)
		op := f.token(t, jwtauth.RoleOperator, "")

		var tenant tenantReply
		f.do(t, op, "POST", "/v1/tenants", `{"accountId":"333344445555"}`, 201, &tenant)
		var k keyReply
		f.do(t, op, "POST", "/v1/tenants/333344445555/keys", "", 201, &k)
		f.do(t, op, "POST", "/v1/tenants/333344445555/queues", `{"name":"q1"}`, 201, nil)
		f.do(t, op, "POST", "/v1/tenants/333344445555/topics", `{"name":"t1"}`, 201, nil)
		f.do(t, op, "POST", "/v1/tenants/333344445555/topics/t1/subscriptions", `{"protocol":"sqs","endpoint":"q1"}`, 201, nil)
		ref := queues.Ref{Account: "333344445555", Region: "us-east-1", Name: "q1"}
		if _, err := eng.SendMessage(ctx, ref, engine.SendInput{Body: "doomed"}); err != nil {
			t.Fatal(err)
		}

		f.do(t, f.token(t, jwtauth.RoleTenantAdmin, "333344445555"), "DELETE", "/v1/tenants/333344445555", "", 403, nil)
		f.do(t, op, "DELETE", "/v1/tenants/333344445555", "", 202, nil)
		f.do(t, op, "DELETE", "/v1/tenants/333344445555", "", 404, nil)
		f.do(t, op, "GET", "/v1/tenants/333344445555", "", 404, nil)
		if _, err := catalog.Resolve(ctx, k.AccessKeyID); !errors.Is(err, tenants.ErrAccessKeyNotFound) {
			t.Fatalf("the deleted tenant's key still resolves: %v", err)
		}
		// The id stays taken until the data is gone.
		f.do(t, op, "POST", "/v1/tenants", `{"accountId":"333344445555"}`, 409, nil)
		if err := api.ReapDeletedTenants(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := eng.Catalog().Get(ctx, ref); !errors.Is(err, sqserr.ErrQueueDoesNotExist) {
			t.Fatalf("queue after the reap: %v", err)
		}
		f.do(t, op, "POST", "/v1/tenants", `{"accountId":"333344445555"}`, 201, nil)
		var list struct{ Queues []string }
		f.do(t, op, "GET", "/v1/tenants/333344445555/queues", "", 200, &list)
		if len(list.Queues) != 0 {
			t.Fatalf("a new tenant with the id sees %v", list.Queues)
		}
		var topicList struct{ Topics []string }
		f.do(t, op, "GET", "/v1/tenants/333344445555/topics", "", 200, &topicList)
		f.do(t, op, "GET", "/v1/tenants/333344445555/topics/t1/subscriptions", "", 404, nil)
		if len(topicList.Topics) != 0 {
			t.Fatalf("a new tenant with the id sees topics %v", topicList.Topics)
		}
	})
}

var ctx = context.Background()

func TestQueueTiering(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		f := newFixture(t, store)
		op := f.token(t, jwtauth.RoleOperator, "")
		var tenant tenantReply
		f.do(t, op, "POST", "/v1/tenants", `{}`, 201, &tenant)
		base := "/v1/tenants/" + tenant.AccountID + "/queues"
		type queue struct {
			Tiering struct{ HotWindowSeconds, HotBytesBudget int64 }
			Storage struct{ Messages, HotBytes, ColdBytes, Segments int64 }
		}
		var q queue
		f.do(t, op, "POST", base, `{"name":"defaults"}`, 201, &q)
		if q.Tiering.HotWindowSeconds != queues.DefaultHotWindowSeconds || q.Tiering.HotBytesBudget != queues.DefaultHotBytesBudget {
			t.Fatalf("default tiering %+v", q.Tiering)
		}
		q = queue{}
		f.do(t, op, "POST", base, `{"name":"tiered","tiering":{"hotWindowSeconds":60}}`, 201, &q)
		if q.Tiering.HotWindowSeconds != 60 || q.Tiering.HotBytesBudget != queues.DefaultHotBytesBudget {
			t.Fatalf("created with %+v", q.Tiering)
		}
		q = queue{}
		f.do(t, op, "PATCH", base+"/tiered", `{"tiering":{"hotBytesBudget":1048576}}`, 200, &q)
		if q.Tiering.HotWindowSeconds != 60 || q.Tiering.HotBytesBudget != 1<<20 {
			t.Fatalf("patched to %+v", q.Tiering)
		}
		var fail struct{ Error struct{ Code string } }
		f.do(t, op, "PATCH", base+"/tiered", `{"tiering":{"hotWindowSeconds":-1}}`, 400, &fail)
		if fail.Error.Code != sqserr.CodeInvalidParameterValue {
			t.Fatalf("code %q", fail.Error.Code)
		}
		f.do(t, op, "POST", base, `{"name":"never","tiering":{"hotBytesBudget":-1}}`, 400, nil)
		f.do(t, op, "GET", base+"/never", "", 404, nil) // not created half-way
		f.do(t, op, "PATCH", base+"/missing", `{"tiering":{"hotWindowSeconds":5}}`, 404, nil)

		// Storage follows what the queue holds.
		ref := queues.Ref{Account: tenant.AccountID, Region: "us-east-1", Name: "tiered"}
		if _, err := f.engine.SendMessage(t.Context(), ref, engine.SendInput{Body: "hello"}); err != nil {
			t.Fatal(err)
		}
		if err := f.engine.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
		q = queue{}
		f.do(t, op, "GET", base+"/tiered", "", 200, &q)
		if q.Storage.Messages != 1 || q.Storage.HotBytes != 5 || q.Storage.ColdBytes != 0 {
			t.Fatalf("storage %+v", q.Storage)
		}
	})
}
