package tenants

// Quotas limit what a tenant may use. Rates are API calls per second for a
// class of actions, enforced per node with token buckets whose burst is
// one second's worth. A zero field in a tenant's overrides means "the
// plan's value"; in effective quotas every field is set.
type Quotas struct {
	MaxQueues           int     `json:"maxQueues,omitempty"`
	SendPerSecond       float64 `json:"sendPerSecond,omitempty"`       // SendMessage, SendMessageBatch
	ReceivePerSecond    float64 `json:"receivePerSecond,omitempty"`    // ReceiveMessage
	DeletePerSecond     float64 `json:"deletePerSecond,omitempty"`     // DeleteMessage(Batch), ChangeMessageVisibility(Batch)
	AdminPerSecond      float64 `json:"adminPerSecond,omitempty"`      // every other action
	MaxMessageBytes     int     `json:"maxMessageBytes,omitempty"`     // body plus attributes
	MaxInFlightPerQueue int     `json:"maxInFlightPerQueue,omitempty"` // received, not yet deleted
	MaxStoredBytes      int64   `json:"maxStoredBytes,omitempty"`
}

// Plan names a set of default quotas.
type Plan string

const (
	PlanFree     Plan = "free"
	PlanStandard Plan = "standard"
	PlanLarge    Plan = "large"
	// DefaultPlan is a new tenant's plan.
	DefaultPlan = PlanStandard
)

// plans are the defaults; SQS's own limits cap the large plan (1 MiB
// messages, 120,000 in flight per standard queue).
var plans = map[Plan]Quotas{
	PlanFree: {MaxQueues: 10, SendPerSecond: 50, ReceivePerSecond: 50, DeletePerSecond: 50, AdminPerSecond: 10,
		MaxMessageBytes: 256 << 10, MaxInFlightPerQueue: 1000, MaxStoredBytes: 1 << 30},
	PlanStandard: {MaxQueues: 1000, SendPerSecond: 3000, ReceivePerSecond: 3000, DeletePerSecond: 3000, AdminPerSecond: 100,
		MaxMessageBytes: 1 << 20, MaxInFlightPerQueue: 120000, MaxStoredBytes: 100 << 30},
	PlanLarge: {MaxQueues: 10000, SendPerSecond: 30000, ReceivePerSecond: 30000, DeletePerSecond: 30000, AdminPerSecond: 1000,
		MaxMessageBytes: 1 << 20, MaxInFlightPerQueue: 120000, MaxStoredBytes: 10 << 40},
}

// Plans lists the plan names.
func Plans() []Plan { return []Plan{PlanFree, PlanStandard, PlanLarge} }

func (p Plan) valid() bool { _, ok := plans[p]; return ok }

// Effective returns plan's quotas with the overrides that are set.
func Effective(plan Plan, overrides Quotas) Quotas {
	q, ok := plans[plan]
	if !ok {
		q = plans[DefaultPlan]
	}
	set := func(dst *float64, v float64) {
		if v > 0 {
			*dst = v
		}
	}
	if overrides.MaxQueues > 0 {
		q.MaxQueues = overrides.MaxQueues
	}
	set(&q.SendPerSecond, overrides.SendPerSecond)
	set(&q.ReceivePerSecond, overrides.ReceivePerSecond)
	set(&q.DeletePerSecond, overrides.DeletePerSecond)
	set(&q.AdminPerSecond, overrides.AdminPerSecond)
	if overrides.MaxMessageBytes > 0 {
		q.MaxMessageBytes = overrides.MaxMessageBytes
	}
	if overrides.MaxInFlightPerQueue > 0 {
		q.MaxInFlightPerQueue = overrides.MaxInFlightPerQueue
	}
	if overrides.MaxStoredBytes > 0 {
		q.MaxStoredBytes = overrides.MaxStoredBytes
	}
	return q
}

func (q Quotas) validate() error {
	switch {
	case q.MaxQueues < 0, q.SendPerSecond < 0, q.ReceivePerSecond < 0, q.DeletePerSecond < 0, q.AdminPerSecond < 0,
		q.MaxInFlightPerQueue < 0, q.MaxStoredBytes < 0, q.MaxMessageBytes < 0:
		return invalid("quotas", "values must not be negative (0 means the plan's)")
	case q.MaxMessageBytes > 1<<20:
		return invalid("quotas", "maxMessageBytes is at most %d, SQS's limit", 1<<20)
	case q.MaxInFlightPerQueue > 120000:
		return invalid("quotas", "maxInFlightPerQueue is at most 120000, SQS's limit")
	}
	return nil
}

func validPlan(p Plan) error {
	if !p.valid() {
		return invalid("plan", "%q is not one of %v", p, Plans())
	}
	return nil
}
