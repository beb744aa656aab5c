// Package usage is what Sluice meters: the meters, their dimensions and the
// quantities rating and the usage API read. Every quantity is an integer.
package usage

// Meter names a kind of usage.
type Meter string

const (
	// Requests are request units, SQS's rule: a call counts
	// max(1, ceil(payload / 64 KiB)), payload being the message bytes
	// (bodies plus attributes) it sent or received. Dimensions: queue
	// type and action class.
	Requests Meter = "requests"
	// ThrottledRequests and UnauthenticatedRequests are calls refused by
	// a rate quota or by authentication: counted, never billed.
	ThrottledRequests       Meter = "throttled_requests"
	UnauthenticatedRequests Meter = "unauthenticated_requests"
	// IngressBytes and EgressBytes are message bytes stored by and
	// delivered to the tenant's calls.
	IngressBytes Meter = "ingress_bytes"
	EgressBytes  Meter = "egress_bytes"
	// StorageByteHours are stored message bytes over time, sampled each
	// minute from the per-queue byte counts. Dimension: tier.
	StorageByteHours Meter = "storage_byte_hours"
	// QueueHours are queues existing over time, sampled each minute.
	QueueHours Meter = "queue_hours"
)

// Queue types, action classes and tiers: the dimensions of a quantity.
const (
	Standard = "standard"
	FIFO     = "fifo"

	Send    = "send"
	Receive = "receive"
	Delete  = "delete" // DeleteMessage(Batch), ChangeMessageVisibility(Batch)
	Admin   = "admin"  // every other action

	Hot  = "hot"
	Cold = "cold"
)

// Quantity is an amount of one meter for one tenant, over a span of time,
// with the dimensions that apply to the meter ("" where none does, or where
// the reader summed over them).
type Quantity struct {
	Meter     Meter
	Queue     string // "" when summed over queues, or for calls on no queue
	Region    string // the queue's region, set with Queue
	QueueType string // Standard or FIFO (Requests, ThrottledRequests)
	Class     string // Send, Receive, Delete or Admin (Requests)
	Tier      string // Hot or Cold (StorageByteHours)
	Amount    int64
}
