package tenants

import "time"

// Status is a tenant's status.
type Status string

const (
	// StatusActive tenants' keys work.
	StatusActive Status = "active"
	// StatusSuspended tenants keep their data, but their keys are refused.
	StatusSuspended Status = "suspended"
)

func (s Status) valid() bool { return s == StatusActive || s == StatusSuspended }

// KeyStatus is an access key's status.
type KeyStatus string

const (
	// KeyActive keys may sign requests.
	KeyActive KeyStatus = "active"
	// KeyInactive keys are kept but refused, as AWS's "Inactive".
	KeyInactive KeyStatus = "inactive"
)

func (s KeyStatus) valid() bool { return s == KeyActive || s == KeyInactive }

// Tenant is one customer account.
type Tenant struct {
	AccountID string // 12 decimal digits, as an AWS account id
	Name      string // optional, at most 80 characters
	Status    Status
	Plan      Plan
	Overrides Quotas // set fields replace the plan's
	// Incarnation is drawn at random when the tenant is created, so a
	// tenant-admin token that names it holds for this tenant only, not for
	// a later one given the same account id. Empty for tenants created
	// before incarnations existed; CheckToken then goes by CreatedAt.
	Incarnation string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// AccessKey describes an access key; its secret is never part of it.
type AccessKey struct {
	ID        string
	AccountID string
	Status    KeyStatus
	CreatedAt time.Time
}

// Credential is what request signing needs to know about an access key.
type Credential struct {
	AccessKeyID  string
	AccountID    string
	Secret       string
	TenantStatus Status
	KeyStatus    KeyStatus
	Quotas       Quotas // the tenant's effective quotas
}

// Usable reports whether the key may sign requests: it is active and so
// is its tenant.
func (c Credential) Usable() bool {
	return c.KeyStatus == KeyActive && c.TenantStatus == StatusActive
}

// Quotas returns the tenant's effective quotas.
func (t Tenant) Quotas() Quotas { return Effective(t.Plan, t.Overrides) }
