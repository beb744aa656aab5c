package restapi_test

import (
	"slices"
	"sync"
	"testing"

	"github.com/sluice-mq/sluice/control-plane/jwtauth"
	"github.com/sluice-mq/sluice/control-plane/restapi"
	"github.com/sluice-mq/sluice/data-plane/admission"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
	"github.com/sluice-mq/sluice/tenants"
)

type meterLog struct {
	mu    sync.Mutex
	calls []admission.Usage
}

func (m *meterLog) Count(u admission.Usage) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, u)
}

// TestQueueRoutesPassTheGate: control-plane queue routes are admitted as the
// SQS actions they stand for: the tenant's admin rate applies (429
// RequestThrottled past it), its queue quota is the gate's decision, and
// every admitted call is metered with the code it was answered with.
func TestQueueRoutesPassTheGate(t *testing.T) {
	meter := &meterLog{}
	f := newFixtureWith(t, kvtest.OpenLocal(t), func(api *restapi.API, _ *tenants.Catalog) {
		api.WithGate(admission.New(admission.Options{Meter: meter}))
	})
	op := f.token(t, jwtauth.RoleOperator, "")
	var tenant tenantReply
	f.do(t, op, "POST", "/v1/tenants", `{"quotas":{"maxQueues":1,"adminPerSecond":4}}`, 201, &tenant)
	base := "/v1/tenants/" + tenant.AccountID + "/queues"

	f.do(t, op, "POST", base, `{"name":"first"}`, 201, nil)
	f.do(t, op, "POST", base, `{"name":"second"}`, 403, nil) // maxQueues 1
	f.do(t, op, "GET", base+"/first", "", 200, nil)
	f.do(t, op, "GET", base+"/missing", "", 404, nil)
	f.do(t, op, "GET", base, "", 429, nil) // the fifth call in the same second

	type seen struct{ action, queue, code string }
	var calls []seen
	for _, u := range meter.calls {
		if u.API != admission.ControlPlane || u.Account != tenant.AccountID {
			t.Fatalf("metered %+v", u)
		}
		calls = append(calls, seen{u.Action, u.Queue, u.Code})
	}
	want := []seen{
		{"CreateQueue", "first", ""},
		{"CreateQueue", "second", "OverLimit"},
		{"GetQueueAttributes", "first", ""},
		{"GetQueueAttributes", "missing", "AWS.SimpleQueueService.NonExistentQueue"},
		{"ListQueues", "", "RequestThrottled"},
	}
	if !slices.Equal(calls, want) {
		t.Fatalf("metered\n%+v\nwant\n%+v", calls, want)
	}
}
