package queues

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sluice-mq/sluice/data-plane/sqserr"
)

// Queue attribute names, as SQS spells them.
const (
	AttrDelaySeconds                  = "DelaySeconds"
	AttrMaximumMessageSize            = "MaximumMessageSize"
	AttrMessageRetentionPeriod        = "MessageRetentionPeriod"
	AttrReceiveMessageWaitTimeSeconds = "ReceiveMessageWaitTimeSeconds"
	AttrVisibilityTimeout             = "VisibilityTimeout"
	AttrRedrivePolicy                 = "RedrivePolicy"
	AttrRedriveAllowPolicy            = "RedriveAllowPolicy"
	AttrPolicy                        = "Policy"
	AttrKmsMasterKeyID                = "KmsMasterKeyId"
	AttrKmsDataKeyReusePeriodSeconds  = "KmsDataKeyReusePeriodSeconds"
	AttrSqsManagedSseEnabled          = "SqsManagedSseEnabled"
	AttrFifoQueue                     = "FifoQueue"
	AttrContentBasedDeduplication     = "ContentBasedDeduplication"
	AttrDeduplicationScope            = "DeduplicationScope"
	AttrFifoThroughputLimit           = "FifoThroughputLimit"

	AttrApproximateNumberOfMessages           = "ApproximateNumberOfMessages"
	AttrApproximateNumberOfMessagesNotVisible = "ApproximateNumberOfMessagesNotVisible"
	AttrApproximateNumberOfMessagesDelayed    = "ApproximateNumberOfMessagesDelayed"
	AttrCreatedTimestamp                      = "CreatedTimestamp"
	AttrLastModifiedTimestamp                 = "LastModifiedTimestamp"
	AttrQueueArn                              = "QueueArn"
	AttrAll                                   = "All"
)

// readOnlyAttrs are answered by GetQueueAttributes but cannot be set.
var readOnlyAttrs = []string{
	AttrApproximateNumberOfMessages, AttrApproximateNumberOfMessagesNotVisible,
	AttrApproximateNumberOfMessagesDelayed, AttrCreatedTimestamp,
	AttrLastModifiedTimestamp, AttrQueueArn,
}

// Limits and defaults from the SQS API reference.
const (
	defaultMaxMessageSize = 1 << 20
	defaultRetention      = 345600
	defaultVisibility     = 30
	maxPolicyBytes        = 20 << 10
	maxReceiveCountLimit  = 1000
	maxRedriveSources     = 10
)

// Attributes are a queue's settable attributes.
type Attributes struct {
	DelaySeconds                  int            `json:"delay"`
	MaximumMessageSize            int            `json:"maxSize"`
	MessageRetentionPeriod        int            `json:"retention"`
	ReceiveMessageWaitTimeSeconds int            `json:"wait"`
	VisibilityTimeout             int            `json:"visibility"`
	RedrivePolicy                 *RedrivePolicy `json:"redrive,omitempty"`
	RedriveAllowPolicy            *AllowPolicy   `json:"redriveAllow,omitempty"`
	Policy                        string         `json:"policy,omitempty"`
	KmsMasterKeyID                string         `json:"kmsKey,omitempty"`
	KmsDataKeyReusePeriodSeconds  int            `json:"kmsReuse,omitempty"`
	SqsManagedSseEnabled          bool           `json:"sse"`
	FifoQueue                     bool           `json:"fifo,omitempty"`
	ContentBasedDeduplication     bool           `json:"cbd,omitempty"`
	DeduplicationScope            string         `json:"dedupScope,omitempty"` // queue | messageGroup
	FifoThroughputLimit           string         `json:"fifoLimit,omitempty"`  // perQueue | perMessageGroupId
	// TransactionPolicy is Sluice's: the check-back of half messages
	// (transaction.go).
	TransactionPolicy *TransactionPolicy `json:"txn,omitempty"`
}

// FIFO attribute values.
const (
	DedupScopeQueue        = "queue"
	DedupScopeMessageGroup = "messageGroup"
	LimitPerQueue          = "perQueue"
	LimitPerMessageGroupID = "perMessageGroupId"
)

// RedrivePolicy sends a message to the dead-letter queue once it has been
// received MaxReceiveCount times without being deleted.
type RedrivePolicy struct {
	DeadLetterTargetArn string `json:"deadLetterTargetArn"`
	MaxReceiveCount     int    `json:"maxReceiveCount"`
}

// AllowPolicy says which source queues may use a queue as their
// dead-letter queue.
type AllowPolicy struct {
	RedrivePermission string   `json:"redrivePermission"`
	SourceQueueArns   []string `json:"sourceQueueArns,omitempty"`
}

// Allows reports whether sourceArn may redrive into the queue.
func (p *AllowPolicy) Allows(sourceArn string) bool {
	if p == nil {
		return true
	}
	switch p.RedrivePermission {
	case "denyAll":
		return false
	case "byQueue":
		return slices.Contains(p.SourceQueueArns, sourceArn)
	}
	return true
}

func defaultAttributes() Attributes {
	return Attributes{
		MaximumMessageSize:           defaultMaxMessageSize,
		MessageRetentionPeriod:       defaultRetention,
		VisibilityTimeout:            defaultVisibility,
		KmsDataKeyReusePeriodSeconds: 300,
		SqsManagedSseEnabled:         true,
	}
}

func invalidValue(name string) *sqserr.Error {
	return sqserr.Errorf(sqserr.CodeInvalidAttributeValue, "Invalid value for the parameter %s.", name)
}

func intRange(name, v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < lo || n > hi {
		return 0, invalidValue(name)
	}
	return n, nil
}

// apply validates every attribute in in and returns a copies of a with them
// set; nothing is applied unless all are valid. Redrive targets are checked
// against the store by the caller.
func (a Attributes) apply(in map[string]string) (Attributes, error) {
	names := make([]string, 0, len(in))
	for name := range in {
		names = append(names, name)
	}
	slices.Sort(names) // report the same error for the same input
	out := a
	for _, name := range names {
		v := in[name]
		var err error
		switch name {
		case AttrDelaySeconds:
			out.DelaySeconds, err = intRange(name, v, 0, 900)
		case AttrMaximumMessageSize:
			out.MaximumMessageSize, err = intRange(name, v, 1024, 1048576)
		case AttrMessageRetentionPeriod:
			out.MessageRetentionPeriod, err = intRange(name, v, 60, 1209600)
		case AttrReceiveMessageWaitTimeSeconds:
			out.ReceiveMessageWaitTimeSeconds, err = intRange(name, v, 0, 20)
		case AttrVisibilityTimeout:
			out.VisibilityTimeout, err = intRange(name, v, 0, 43200)
		case AttrKmsDataKeyReusePeriodSeconds:
			out.KmsDataKeyReusePeriodSeconds, err = intRange(name, v, 60, 86400)
		case AttrKmsMasterKeyID:
			out.KmsMasterKeyID = v
		case AttrSqsManagedSseEnabled:
			out.SqsManagedSseEnabled, err = parseBool(name, v)
		case AttrPolicy:
			out.Policy, err = parsePolicy(v)
		case AttrRedrivePolicy:
			out.RedrivePolicy, err = parseRedrivePolicy(v)
		case AttrRedriveAllowPolicy:
			out.RedriveAllowPolicy, err = parseAllowPolicy(v)
		case AttrFifoQueue:
			out.FifoQueue, err = parseBool(name, v)
		case AttrContentBasedDeduplication:
			out.ContentBasedDeduplication, err = parseBool(name, v)
		case AttrDeduplicationScope:
			out.DeduplicationScope, err = oneOf(name, v, DedupScopeQueue, DedupScopeMessageGroup)
		case AttrFifoThroughputLimit:
			out.FifoThroughputLimit, err = oneOf(name, v, LimitPerQueue, LimitPerMessageGroupID)
		case AttrTransactionPolicy:
			out.TransactionPolicy, err = parseTransactionPolicy(v)
		default:
			if slices.Contains(readOnlyAttrs, name) {
				err = sqserr.Errorf(sqserr.CodeInvalidAttributeName, "Attribute %s is read-only.", name)
			} else {
				err = sqserr.Errorf(sqserr.CodeInvalidAttributeName, "Unknown Attribute %s.", name)
			}
		}
		if err != nil {
			return a, err
		}
	}
	return out, nil
}

func oneOf(name, v string, allowed ...string) (string, error) {
	if slices.Contains(allowed, v) {
		return v, nil
	}
	return "", invalidValue(name)
}

// checkQueueType checks the attributes given (in) against the queue's type,
// fixed at creation by its name: a FIFO queue's name ends in .fifo and it
// has FifoQueue=true; a standard queue takes no FIFO attribute. The errors
// are SQS's own.
func (a *Attributes) checkQueueType(name string, in map[string]string, creating bool) error {
	_, fifoGiven := in[AttrFifoQueue]
	fifoName := IsFIFOName(name)
	switch {
	case creating && a.FifoQueue && !fifoName:
		return sqserr.Errorf(sqserr.CodeInvalidParameterValue, "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.")
	case creating && fifoName && !a.FifoQueue:
		return sqserr.Errorf(sqserr.CodeInvalidParameterValue, "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	case !creating && fifoGiven && fifoName && !a.FifoQueue:
		return sqserr.Errorf(sqserr.CodeInvalidAttributeValue, "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.")
	}
	if !fifoName {
		a.FifoQueue = false
		for _, attr := range []string{AttrFifoQueue, AttrContentBasedDeduplication} {
			if _, given := in[attr]; given {
				return sqserr.Errorf(sqserr.CodeInvalidAttributeName, "Unknown Attribute %s.", attr)
			}
		}
		for _, attr := range []string{AttrDeduplicationScope, AttrFifoThroughputLimit} {
			if _, given := in[attr]; given {
				return sqserr.Errorf(sqserr.CodeInvalidAttributeName, "You can specify the %s only when FifoQueue is set to true.", attr)
			}
		}
		return nil
	}
	if a.DeduplicationScope == "" {
		a.DeduplicationScope = DedupScopeQueue
	}
	if a.FifoThroughputLimit == "" {
		a.FifoThroughputLimit = LimitPerQueue
	}
	return nil
}

func parseBool(name, v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, invalidValue(name)
}

func parsePolicy(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	var doc map[string]any
	if len(v) > maxPolicyBytes || json.Unmarshal([]byte(v), &doc) != nil {
		return "", invalidValue(AttrPolicy)
	}
	if _, ok := doc["Statement"]; !ok {
		return "", sqserr.Errorf(sqserr.CodeInvalidAttributeValue, "Invalid value for the parameter Policy. Reason: Policy has no Statement.")
	}
	return v, nil
}

func parseRedrivePolicy(v string) (*RedrivePolicy, error) {
	if v == "" {
		return nil, nil // an empty value removes the policy
	}
	var raw struct {
		DeadLetterTargetArn string          `json:"deadLetterTargetArn"`
		MaxReceiveCount     json.RawMessage `json:"maxReceiveCount"`
	}
	reason := func(why string) error {
		return sqserr.Errorf(sqserr.CodeInvalidParameterValue, "Value %s for parameter RedrivePolicy is invalid. Reason: %s", v, why)
	}
	if err := json.Unmarshal([]byte(v), &raw); err != nil {
		return nil, reason("Redrive policy is not a valid JSON map.")
	}
	if raw.DeadLetterTargetArn == "" {
		return nil, reason("Redrive policy does not contain mandatory attribute: deadLetterTargetArn.")
	}
	if len(raw.MaxReceiveCount) == 0 {
		return nil, reason("Redrive policy does not contain mandatory attribute: maxReceiveCount.")
	}
	// SQS accepts the count as a number or a string.
	count, err := strconv.Atoi(strings.Trim(string(raw.MaxReceiveCount), `"`))
	if err != nil || count < 1 || count > maxReceiveCountLimit {
		return nil, reason(fmt.Sprintf("Invalid value for maxReceiveCount: %s, valid values are from 1 to %d both inclusive.", raw.MaxReceiveCount, maxReceiveCountLimit))
	}
	if _, err := ParseARN(raw.DeadLetterTargetArn); err != nil {
		return nil, reason("Invalid value for deadLetterTargetArn.")
	}
	return &RedrivePolicy{DeadLetterTargetArn: raw.DeadLetterTargetArn, MaxReceiveCount: count}, nil
}

func parseAllowPolicy(v string) (*AllowPolicy, error) {
	if v == "" {
		return nil, nil
	}
	var p AllowPolicy
	reason := func(why string) error {
		return sqserr.Errorf(sqserr.CodeInvalidParameterValue, "Value %s for parameter RedriveAllowPolicy is invalid. Reason: %s", v, why)
	}
	if err := json.Unmarshal([]byte(v), &p); err != nil {
		return nil, reason("Redrive allow policy is not a valid JSON map.")
	}
	switch p.RedrivePermission {
	case "allowAll", "denyAll":
		if len(p.SourceQueueArns) > 0 {
			return nil, reason("Only byQueue permission can have sourceQueueArns.")
		}
	case "byQueue":
		if len(p.SourceQueueArns) == 0 || len(p.SourceQueueArns) > maxRedriveSources {
			return nil, reason(fmt.Sprintf("byQueue permission requires 1 to %d sourceQueueArns.", maxRedriveSources))
		}
		for _, a := range p.SourceQueueArns {
			if _, err := ParseARN(a); err != nil {
				return nil, reason("Invalid value for sourceQueueArns.")
			}
		}
	default:
		return nil, reason("redrivePermission must be one of allowAll, denyAll, byQueue.")
	}
	return &p, nil
}

// Strings returns the settable attributes as GetQueueAttributes answers
// them.
func (a Attributes) Strings() map[string]string {
	m := map[string]string{
		AttrDelaySeconds:                  strconv.Itoa(a.DelaySeconds),
		AttrMaximumMessageSize:            strconv.Itoa(a.MaximumMessageSize),
		AttrMessageRetentionPeriod:        strconv.Itoa(a.MessageRetentionPeriod),
		AttrReceiveMessageWaitTimeSeconds: strconv.Itoa(a.ReceiveMessageWaitTimeSeconds),
		AttrVisibilityTimeout:             strconv.Itoa(a.VisibilityTimeout),
		AttrSqsManagedSseEnabled:          strconv.FormatBool(a.SqsManagedSseEnabled),
	}
	if a.RedrivePolicy != nil {
		b, _ := json.Marshal(a.RedrivePolicy)
		m[AttrRedrivePolicy] = string(b)
	}
	if a.RedriveAllowPolicy != nil {
		b, _ := json.Marshal(a.RedriveAllowPolicy)
		m[AttrRedriveAllowPolicy] = string(b)
	}
	if a.Policy != "" {
		m[AttrPolicy] = a.Policy
	}
	if a.TransactionPolicy != nil {
		b, _ := json.Marshal(a.TransactionPolicy)
		m[AttrTransactionPolicy] = string(b)
	}
	if a.FifoQueue {
		m[AttrFifoQueue] = "true"
		m[AttrContentBasedDeduplication] = strconv.FormatBool(a.ContentBasedDeduplication)
		m[AttrDeduplicationScope] = a.DeduplicationScope
		m[AttrFifoThroughputLimit] = a.FifoThroughputLimit
	}
	if a.KmsMasterKeyID != "" {
		m[AttrKmsMasterKeyID] = a.KmsMasterKeyID
		m[AttrKmsDataKeyReusePeriodSeconds] = strconv.Itoa(a.KmsDataKeyReusePeriodSeconds)
	}
	return m
}

// KnownAttribute reports whether n is an attribute GetQueueAttributes
// answers (All aside).
func KnownAttribute(n string) bool {
	switch n {
	case AttrDelaySeconds, AttrMaximumMessageSize, AttrMessageRetentionPeriod, AttrReceiveMessageWaitTimeSeconds,
		AttrVisibilityTimeout, AttrRedrivePolicy, AttrRedriveAllowPolicy, AttrPolicy, AttrKmsMasterKeyID,
		AttrKmsDataKeyReusePeriodSeconds, AttrSqsManagedSseEnabled, AttrFifoQueue, AttrContentBasedDeduplication,
		AttrDeduplicationScope, AttrFifoThroughputLimit, AttrTransactionPolicy:
		return true
	}
	return slices.Contains(readOnlyAttrs, n)
}
