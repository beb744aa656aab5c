package api

import "time"

// Plan names a set of default quotas.
type Plan string

// The plans.
const (
	PlanFree     Plan = "free"
	PlanStandard Plan = "standard"
	PlanLarge    Plan = "large"
	// DefaultPlan is the plan of a tenant created without one.
	DefaultPlan = PlanStandard
)

// Quotas are a tenant's limits. In a tenant's overrides (Tenant.Quotas,
// and in requests) a zero or absent field means the plan's value.
type Quotas struct {
	MaxQueues int `json:"maxQueues,omitempty"`
	// SendPerSecond limits SendMessage and SendMessageBatch calls.
	SendPerSecond float64 `json:"sendPerSecond,omitempty"`
	// ReceivePerSecond limits ReceiveMessage calls.
	ReceivePerSecond float64 `json:"receivePerSecond,omitempty"`
	// DeletePerSecond limits DeleteMessage(Batch) and
	// ChangeMessageVisibility(Batch) calls.
	DeletePerSecond float64 `json:"deletePerSecond,omitempty"`
	// AdminPerSecond limits calls of every other action.
	AdminPerSecond float64 `json:"adminPerSecond,omitempty"`
	// MaxMessageBytes bounds a message's body plus attributes.
	MaxMessageBytes int `json:"maxMessageBytes,omitempty"`
	// MaxInFlightPerQueue: ReceiveMessage answers OverLimit at this many
	// messages received and not yet deleted.
	MaxInFlightPerQueue int `json:"maxInFlightPerQueue,omitempty"`
	// MaxStoredBytes bounds bodies plus attributes in all the tenant's
	// queues; sends past it answer OverLimit.
	MaxStoredBytes int64 `json:"maxStoredBytes,omitempty"`
}

// TenantStatus is whether a tenant's SQS calls are served.
type TenantStatus string

// Tenant statuses.
const (
	TenantActive TenantStatus = "active"
	// TenantSuspended tenants' SQS calls are refused (AccessDenied).
	TenantSuspended TenantStatus = "suspended"
	// TenantDeleting is the status in a TenantDeletion.
	TenantDeleting TenantStatus = "deleting"
)

// Tenant is an account: the reply of the tenant routes.
type Tenant struct {
	AccountID string       `json:"accountId"` // 12 digits
	Name      string       `json:"name,omitempty"`
	Status    TenantStatus `json:"status"`
	Plan      Plan         `json:"plan"`
	// Quotas are the overrides of the plan's quotas.
	Quotas Quotas `json:"quotas"`
	// EffectiveQuotas are what is enforced: the plan's, with the overrides.
	EffectiveQuotas Quotas    `json:"effectiveQuotas"`
	CreatedAt       time.Time `json:"createdAt"`
	UpdatedAt       time.Time `json:"updatedAt"`
}

// CreateTenantRequest is the body of POST /v1/tenants; every field is
// optional.
type CreateTenantRequest struct {
	// AccountID is 12 digits; generated when empty.
	AccountID string `json:"accountId,omitempty"`
	// Name is at most 80 characters.
	Name string `json:"name,omitempty"`
	// Plan is DefaultPlan when empty.
	Plan Plan `json:"plan,omitempty"`
	// Quotas overrides the plan's quotas.
	Quotas Quotas `json:"quotas"`
}

// UpdateTenantRequest is the body of PATCH /v1/tenants/{account}: it sets
// the plan, the quota overrides (all of them, replacing the old), or both.
type UpdateTenantRequest struct {
	Plan   *Plan   `json:"plan,omitempty"`
	Quotas *Quotas `json:"quotas,omitempty"`
}

// TenantList is a page of tenants, by account id.
type TenantList struct {
	Tenants []Tenant `json:"tenants"`
	// Next, when set, is the after parameter that asks for the next page.
	Next string `json:"next,omitempty"`
}

// TenantDeletion is the reply of DELETE /v1/tenants/{account} (202
// Accepted): the tenant's keys stop working at once, its queues and
// messages are removed in the background.
type TenantDeletion struct {
	AccountID string       `json:"accountId"`
	Status    TenantStatus `json:"status"` // TenantDeleting
}
