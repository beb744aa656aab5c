package load

import (
	"sync"
	"time"
)

// Result is what one run measured. Rates are over the time from the first
// send to the last acknowledgement (Sent) or last first receipt
// (Delivered), so a drain wait does not dilute them.
type Result struct {
	Endpoint string `json:"endpoint"`
	Queue    string `json:"queue"`

	Elapsed time.Duration `json:"elapsed_ns"`
	// CutAtDeadline is set when Timeout or the caller's context ended the
	// run before every message was sent and received.
	CutAtDeadline bool `json:"cut_at_deadline"`
	// Drained is set when the run ended because nothing arrived for
	// DrainTimeout after the last send.
	Drained bool `json:"drained"`

	Sent       int64 `json:"sent"`        // acknowledged by the server
	SendFailed int64 `json:"send_failed"` // rejected or errored
	Delivered  int64 `json:"delivered"`   // distinct ids received
	Receipts   int64 `json:"receipts"`    // messages received, duplicates included
	Missing    int64 `json:"missing"`     // acknowledged, never received
	Duplicates int64 `json:"duplicates"`  // receipts after an id's first
	Foreign    int64 `json:"foreign"`     // bodies of other runs
	// FIFO mode: first receipts whose sequence number was lower than one
	// already received in their group, and receipts that had none.
	OrderViolations int64   `json:"order_violations"`
	MissingSequence int64   `json:"missing_sequence"`
	SentPerSec      float64 `json:"sent_per_sec"` // acknowledged sends per second
	DeliveredPerSec float64 `json:"delivered_per_sec"`

	SendCall    Latency `json:"send_call"`
	ReceiveCall Latency `json:"receive_call"` // calls that returned messages
	DeleteCall  Latency `json:"delete_call"`
	EndToEnd    Latency `json:"end_to_end"` // first receipt − send time in body

	// LeftInQueue is the queue's approximate depth after the run (visible,
	// in flight and delayed), or -1 if the server did not say.
	LeftInQueue int64 `json:"left_in_queue"`

	EmptyReceives int64 `json:"empty_receives"`
	DeleteFailed  int64 `json:"delete_failed"`
	Retries       int64 `json:"retries"`
	Errors        int64 `json:"errors"`
	// Calls counts the requests sent by action (CreateQueue and the
	// clean-up's included), retries too.
	Calls map[string]int64 `json:"calls"`
	// ErrorSamples holds the first few distinct errors, for diagnosis.
	ErrorSamples []string `json:"error_samples,omitempty"`
}

// maxErrorSamples bounds Result.ErrorSamples.
const maxErrorSamples = 5

// errorLog counts errors and keeps the first few distinct messages.
type errorLog struct {
	mu      sync.Mutex
	count   int64
	samples []string
}

func (l *errorLog) add(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.count++
	if len(l.samples) >= maxErrorSamples {
		return
	}
	msg := err.Error()
	for _, s := range l.samples {
		if s == msg {
			return
		}
	}
	l.samples = append(l.samples, msg)
}

func (l *errorLog) snapshot() (int64, []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.count, append([]string(nil), l.samples...)
}

func perSecond(n int64, d time.Duration) float64 {
	if n == 0 || d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}
