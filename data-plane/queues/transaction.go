package queues

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/sluice-mq/sluice/data-plane/sqserr"
)

// AttrTransactionPolicy is Sluice's queue attribute for transactional
// (half) messages: where and how often to ask a producer that never
// decided, and what to do when it never answers. Like RedrivePolicy its
// value is a JSON document; an empty value removes it.
const AttrTransactionPolicy = "SluiceTransactionPolicy"

// Transaction policy limits and defaults.
const (
	DefaultCheckBackTimeout  = 60 // seconds
	DefaultMaxCheckBacks     = 5
	maxCheckBackTimeout      = 43200
	maxCheckBacksLimit       = 100
	maxCheckBackURLBytes     = 2048
	maxCheckBackSecretBytes  = 256
	ExhaustedRollback        = "rollback"
	ExhaustedDeadLetter      = "deadLetter"
	defaultExhaustedDecision = ExhaustedRollback
)

// TransactionPolicy configures the check-back of a queue's half messages
// (docs/transactional-messages.md).
type TransactionPolicy struct {
	// CheckBackURL is asked, by an HMAC-signed POST, whether an undecided
	// half message commits; empty means no check-back: a half message
	// undecided after the timeout is resolved by OnExhausted at once.
	CheckBackURL string `json:"checkBackUrl,omitempty"`
	// CheckBackSecret keys the request's X-Sluice-Signature HMAC.
	CheckBackSecret string `json:"checkBackSecret,omitempty"`
	// TimeoutSeconds is how long after its send a half message is first
	// checked back, and the base of the backoff between check-backs.
	TimeoutSeconds int `json:"timeoutSeconds,omitempty"`
	// MaxCheckBacks is how many check-backs that fail or answer unknown
	// end in OnExhausted.
	MaxCheckBacks int `json:"maxCheckBacks,omitempty"`
	// OnExhausted is rollback or deadLetter (to the RedrivePolicy target;
	// rollback when the queue has none).
	OnExhausted string `json:"onExhausted,omitempty"`
}

// TransactionOrDefault returns the queue's policy, the defaults until set.
func (q *Record) TransactionOrDefault() TransactionPolicy {
	p := TransactionPolicy{}
	if q.Attributes.TransactionPolicy != nil {
		p = *q.Attributes.TransactionPolicy
	}
	if p.TimeoutSeconds == 0 {
		p.TimeoutSeconds = DefaultCheckBackTimeout
	}
	if p.MaxCheckBacks == 0 {
		p.MaxCheckBacks = DefaultMaxCheckBacks
	}
	if p.OnExhausted == "" {
		p.OnExhausted = defaultExhaustedDecision
	}
	return p
}

func parseTransactionPolicy(v string) (*TransactionPolicy, error) {
	if v == "" {
		return nil, nil
	}
	reason := func(format string, args ...any) error {
		return sqserr.Errorf(sqserr.CodeInvalidParameterValue, "Value %s for parameter %s is invalid. Reason: %s", v, AttrTransactionPolicy, fmt.Sprintf(format, args...))
	}
	var p TransactionPolicy
	dec := json.NewDecoder(strings.NewReader(v))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, reason("not a valid transaction policy JSON map: %v", err)
	}
	if p.CheckBackURL != "" {
		u, err := url.Parse(p.CheckBackURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(p.CheckBackURL) > maxCheckBackURLBytes {
			return nil, reason("checkBackUrl must be an http or https URL of at most %d bytes.", maxCheckBackURLBytes)
		}
	}
	if len(p.CheckBackSecret) > maxCheckBackSecretBytes {
		return nil, reason("checkBackSecret must be at most %d bytes.", maxCheckBackSecretBytes)
	}
	if p.TimeoutSeconds < 0 || p.TimeoutSeconds > maxCheckBackTimeout {
		return nil, reason("timeoutSeconds must be from 1 to %d.", maxCheckBackTimeout)
	}
	if p.MaxCheckBacks < 0 || p.MaxCheckBacks > maxCheckBacksLimit {
		return nil, reason("maxCheckBacks must be from 1 to %d.", maxCheckBacksLimit)
	}
	switch p.OnExhausted {
	case "", ExhaustedRollback, ExhaustedDeadLetter:
	default:
		return nil, reason("onExhausted must be %s or %s.", ExhaustedRollback, ExhaustedDeadLetter)
	}
	return &p, nil
}
