// Package history records what queue clients did — every send, receive and
// delete with the times it was invoked and completed and what it returned —
// and checks such a history against the promises of a queue: nothing
// acknowledged lost, nothing delivered twice inside its visibility, nothing
// delivered that was never sent, FIFO order per group, nothing delivered
// again after a successful delete.
//
// Messages are identified by a token the client puts in the body, unique
// across the whole history, not by the server's message id: a send whose
// outcome is unknown has no id but may still be delivered.
//
// The package is pure: it starts no servers and makes no calls; Recorder is
// safe for concurrent use and Check reads a finished history.
package history

import (
	"encoding/json"
	"io"
	"sync"
	"time"
)

// Kind is what an operation did.
type Kind string

const (
	Send    Kind = "send"
	Receive Kind = "receive"
	Delete  Kind = "delete"
	// Fault is a fault the test injected (Client names the nemesis, Err
	// what it did), from its start to its end; the checker only quotes
	// faults next to the anomalies they bracket.
	Fault Kind = "fault"
)

// Outcome is what the client learnt of one message's part in an operation.
type Outcome string

const (
	// OK: the server acknowledged it.
	OK Outcome = "ok"
	// Failed: the server answered that it did not happen (a client error
	// such as a 4xx, or a batch entry in Failed). It did not take effect.
	Failed Outcome = "failed"
	// Unknown: no answer (connection reset, timeout, 5xx). It may or may
	// not have taken effect, at any time up to — for a timed-out call
	// whose server lives on — after Complete.
	Unknown Outcome = "unknown"
)

// Msg is one message's part in an operation.
type Msg struct {
	// Token identifies the message (carried in its body).
	Token string `json:"token"`
	// Group is the FIFO message group, "" on a standard queue.
	Group string `json:"group,omitempty"`
	// Outcome of this entry: for sends and deletes; receives record only
	// what they got, with OK.
	Outcome Outcome `json:"outcome"`
	// MessageID and Receipt: a delivery's id and receipt handle; Receipt
	// also names the handle a delete used.
	MessageID string `json:"messageId,omitempty"`
	Receipt   string `json:"receipt,omitempty"`
	// Corrupt: the delivered body is not the body sent with Token.
	Corrupt bool `json:"corrupt,omitempty"`
}

// Op is one call: a send or send batch, a receive, a delete or delete batch.
type Op struct {
	Index  int    `json:"index"`
	Client string `json:"client"`
	Kind   Kind   `json:"kind"`
	Queue  string `json:"queue"`
	// Invoke and Complete are the client's monotonic times (since the
	// recorder started) just before the request and just after the reply.
	Invoke   time.Duration `json:"invoke"`
	Complete time.Duration `json:"complete"`
	// Visibility is the visibility timeout a receive asked for.
	Visibility time.Duration `json:"visibility,omitempty"`
	// Err is the call's error, if it failed as a whole.
	Err  string `json:"err,omitempty"`
	Msgs []Msg  `json:"msgs"`
}

// Recorder collects operations from concurrent clients.
type Recorder struct {
	start time.Time
	mu    sync.Mutex
	ops   []Op
}

// NewRecorder starts a history's clock.
func NewRecorder() *Recorder { return &Recorder{start: time.Now()} }

// Now is the history's monotonic time: take it just before a call (its
// Invoke) and just after (its Complete).
func (r *Recorder) Now() time.Duration { return time.Since(r.start) }

// Add records a finished operation and returns its index. A Complete
// before Invoke is raised to Invoke.
func (r *Recorder) Add(op Op) int {
	if op.Complete < op.Invoke {
		op.Complete = op.Invoke
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	op.Index = len(r.ops)
	r.ops = append(r.ops, op)
	return op.Index
}

// Ops returns a copy of the history so far.
func (r *Recorder) Ops() []Op {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Op(nil), r.ops...)
}

// ReadJSONLines reads what WriteJSONLines wrote.
func ReadJSONLines(r io.Reader) ([]Op, error) {
	var ops []Op
	dec := json.NewDecoder(r)
	for {
		var op Op
		if err := dec.Decode(&op); err == io.EOF {
			return ops, nil
		} else if err != nil {
			return ops, err
		}
		ops = append(ops, op)
	}
}

// WriteJSONLines writes one operation per line.
func WriteJSONLines(w io.Writer, ops []Op) error {
	enc := json.NewEncoder(w)
	for _, op := range ops {
		if err := enc.Encode(op); err != nil {
			return err
		}
	}
	return nil
}
