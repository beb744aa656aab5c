package admission

import "strings"

// API says which interface a call came through.
type API uint8

const (
	SQS          API = iota // the SQS API (JSON 1.0 or Query)
	ControlPlane            // the control plane's REST queue routes
)

func (a API) String() string {
	if a == ControlPlane {
		return "control-plane"
	}
	return "sqs"
}

// Usage is what one call did, as metering counts it.
type Usage struct {
	API     API
	Action  string // the SQS action, e.g. SendMessageBatch
	Account string
	Region  string // of the queue; "" for calls on no queue
	Queue   string // the queue's name; "" for calls on no queue
	// InBytes and OutBytes are message bytes (bodies plus attributes)
	// stored by the call and handed to the caller.
	InBytes, OutBytes int64
	// Code is the SQS error code the call was answered with; "" is success.
	Code string
	// Throttled calls were refused by a rate quota before they ran.
	Throttled bool
	// Unauthenticated calls were refused by authentication, signed with
	// an access key of Account.
	Unauthenticated bool
}

// FIFO reports whether the call acted on a FIFO queue (SQS requires their
// names to end in .fifo).
func (u Usage) FIFO() bool {
	return strings.HasSuffix(u.Queue, ".fifo")
}

// Meter counts calls. Count is called once per call, on the goroutine that
// served it, so it must not block: aggregate in memory and flush elsewhere.
type Meter interface {
	Count(Usage)
}
