package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/sluice-mq/sluice/sdk/api"
)

// quotasModel is a tenant's quotas. In overrides (the quotas block) a
// null field means the plan's value, as a zero does in the API.
type quotasModel struct {
	MaxQueues           types.Int64   `tfsdk:"max_queues"`
	SendPerSecond       types.Float64 `tfsdk:"send_per_second"`
	ReceivePerSecond    types.Float64 `tfsdk:"receive_per_second"`
	DeletePerSecond     types.Float64 `tfsdk:"delete_per_second"`
	AdminPerSecond      types.Float64 `tfsdk:"admin_per_second"`
	MaxMessageBytes     types.Int64   `tfsdk:"max_message_bytes"`
	MaxInFlightPerQueue types.Int64   `tfsdk:"max_in_flight_per_queue"`
	MaxStoredBytes      types.Int64   `tfsdk:"max_stored_bytes"`
}

// quotaDescriptions documents each quota, for every schema that has them.
var quotaDescriptions = map[string]string{
	"max_queues":              "Most queues the tenant may have.",
	"send_per_second":         "SendMessage and SendMessageBatch calls per second.",
	"receive_per_second":      "ReceiveMessage calls per second.",
	"delete_per_second":       "DeleteMessage(Batch) and ChangeMessageVisibility(Batch) calls per second.",
	"admin_per_second":        "Calls per second of every other action, control-plane queue calls included.",
	"max_message_bytes":       "Largest message, body plus attributes, in bytes.",
	"max_in_flight_per_queue": "Messages received and not yet deleted a queue may have; ReceiveMessage answers OverLimit past it.",
	"max_stored_bytes":        "Bytes of bodies plus attributes in all the tenant's queues; sends past it answer OverLimit.",
}

var quotasAttrTypes = map[string]attr.Type{
	"max_queues": types.Int64Type, "send_per_second": types.Float64Type, "receive_per_second": types.Float64Type,
	"delete_per_second": types.Float64Type, "admin_per_second": types.Float64Type, "max_message_bytes": types.Int64Type,
	"max_in_flight_per_queue": types.Int64Type, "max_stored_bytes": types.Int64Type,
}

func nullIfZeroInt(n int64) types.Int64 {
	if n == 0 {
		return types.Int64Null()
	}
	return types.Int64Value(n)
}

func nullIfZeroFloat(f float64) types.Float64 {
	if f == 0 {
		return types.Float64Null()
	}
	return types.Float64Value(f)
}

// fromQuotas converts API quotas; zeros become null (the plan's value).
func fromQuotas(q api.Quotas) quotasModel {
	return quotasModel{
		MaxQueues:           nullIfZeroInt(int64(q.MaxQueues)),
		SendPerSecond:       nullIfZeroFloat(q.SendPerSecond),
		ReceivePerSecond:    nullIfZeroFloat(q.ReceivePerSecond),
		DeletePerSecond:     nullIfZeroFloat(q.DeletePerSecond),
		AdminPerSecond:      nullIfZeroFloat(q.AdminPerSecond),
		MaxMessageBytes:     nullIfZeroInt(int64(q.MaxMessageBytes)),
		MaxInFlightPerQueue: nullIfZeroInt(int64(q.MaxInFlightPerQueue)),
		MaxStoredBytes:      nullIfZeroInt(q.MaxStoredBytes),
	}
}

// toQuotas converts overrides for the API; null is zero.
func (q *quotasModel) toQuotas() api.Quotas {
	if q == nil {
		return api.Quotas{}
	}
	return api.Quotas{
		MaxQueues:           int(q.MaxQueues.ValueInt64()),
		SendPerSecond:       q.SendPerSecond.ValueFloat64(),
		ReceivePerSecond:    q.ReceivePerSecond.ValueFloat64(),
		DeletePerSecond:     q.DeletePerSecond.ValueFloat64(),
		AdminPerSecond:      q.AdminPerSecond.ValueFloat64(),
		MaxMessageBytes:     int(q.MaxMessageBytes.ValueInt64()),
		MaxInFlightPerQueue: int(q.MaxInFlightPerQueue.ValueInt64()),
		MaxStoredBytes:      q.MaxStoredBytes.ValueInt64(),
	}
}

// quotasObject is an API quotas value as an object attribute.
func quotasObject(q api.Quotas) types.Object {
	m := fromQuotas(q)
	return types.ObjectValueMust(quotasAttrTypes, map[string]attr.Value{
		"max_queues": m.MaxQueues, "send_per_second": m.SendPerSecond, "receive_per_second": m.ReceivePerSecond,
		"delete_per_second": m.DeletePerSecond, "admin_per_second": m.AdminPerSecond, "max_message_bytes": m.MaxMessageBytes,
		"max_in_flight_per_queue": m.MaxInFlightPerQueue, "max_stored_bytes": m.MaxStoredBytes,
	})
}

// tenantModel mirrors sluice_tenant's schema.
type tenantModel struct {
	ID              types.String `tfsdk:"id"`
	AccountID       types.String `tfsdk:"account_id"`
	Name            types.String `tfsdk:"name"`
	Plan            types.String `tfsdk:"plan"`
	Status          types.String `tfsdk:"status"`
	Quotas          *quotasModel `tfsdk:"quotas"`
	EffectiveQuotas types.Object `tfsdk:"effective_quotas"`
	CreatedAt       types.String `tfsdk:"created_at"`
}

// fromTenant fills m from the server's answer; a quotas block stays
// absent while there are no overrides.
func (m *tenantModel) fromTenant(t api.Tenant) {
	m.ID = types.StringValue(t.AccountID)
	m.AccountID = types.StringValue(t.AccountID)
	m.Name = optionalString(t.Name)
	m.Plan = types.StringValue(string(t.Plan))
	m.Status = types.StringValue(string(t.Status))
	if t.Quotas == (api.Quotas{}) && m.Quotas == nil {
		m.Quotas = nil
	} else {
		q := fromQuotas(t.Quotas)
		m.Quotas = &q
	}
	m.EffectiveQuotas = quotasObject(t.EffectiveQuotas)
	m.CreatedAt = types.StringValue(t.CreatedAt.UTC().Format("2006-01-02T15:04:05Z07:00"))
}
