package restapi

import (
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/sdk/api"
	"github.com/sluice-mq/sluice/tenants"
)

// The wire types are sdk/api's; these convert them to and from the
// server's own types at the edge.

func toAPIQuotas(q tenants.Quotas) api.Quotas {
	return api.Quotas{MaxQueues: q.MaxQueues, SendPerSecond: q.SendPerSecond, ReceivePerSecond: q.ReceivePerSecond,
		DeletePerSecond: q.DeletePerSecond, AdminPerSecond: q.AdminPerSecond, MaxMessageBytes: q.MaxMessageBytes,
		MaxInFlightPerQueue: q.MaxInFlightPerQueue, MaxStoredBytes: q.MaxStoredBytes}
}

func fromAPIQuotas(q api.Quotas) tenants.Quotas {
	return tenants.Quotas{MaxQueues: q.MaxQueues, SendPerSecond: q.SendPerSecond, ReceivePerSecond: q.ReceivePerSecond,
		DeletePerSecond: q.DeletePerSecond, AdminPerSecond: q.AdminPerSecond, MaxMessageBytes: q.MaxMessageBytes,
		MaxInFlightPerQueue: q.MaxInFlightPerQueue, MaxStoredBytes: q.MaxStoredBytes}
}

// fromAPIQuotasPtr keeps nil nil: an update that leaves the overrides.
func fromAPIQuotasPtr(q *api.Quotas) *tenants.Quotas {
	if q == nil {
		return nil
	}
	out := fromAPIQuotas(*q)
	return &out
}

func fromAPIPlanPtr(p *api.Plan) *tenants.Plan {
	if p == nil {
		return nil
	}
	out := tenants.Plan(*p)
	return &out
}

func toTenantJSON(t tenants.Tenant) api.Tenant {
	return api.Tenant{AccountID: t.AccountID, Name: t.Name, Status: api.TenantStatus(t.Status), Plan: api.Plan(t.Plan),
		Quotas: toAPIQuotas(t.Overrides), EffectiveQuotas: toAPIQuotas(t.Quotas()), CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
}

func toKeyJSON(k tenants.AccessKey) api.AccessKey {
	return api.AccessKey{AccessKeyID: k.ID, AccountID: k.AccountID, Status: api.KeyStatus(k.Status), CreatedAt: k.CreatedAt}
}

func toAPITiering(s queues.TieringSettings) api.TieringSettings {
	return api.TieringSettings{HotWindowSeconds: s.HotWindowSeconds, HotBytesBudget: s.HotBytesBudget}
}

// fromAPITieringPatch keeps nil nil: a request that leaves the settings.
func fromAPITieringPatch(p *api.TieringPatch) *queues.TieringPatch {
	if p == nil {
		return nil
	}
	return &queues.TieringPatch{HotWindowSeconds: p.HotWindowSeconds, HotBytesBudget: p.HotBytesBudget}
}
