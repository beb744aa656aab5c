package topics

import (
	"crypto/rand"
	"fmt"
	"regexp"
	"strings"

	"github.com/sluice-mq/sluice/data-plane/sqserr"
)

// SNS error codes.
const (
	CodeNotFound                  = "NotFound"
	CodeInvalidParameter          = "InvalidParameter"
	CodeInvalidParameterValue     = "ParameterValueInvalid"
	CodeAuthorizationError        = "AuthorizationError"
	CodeTopicLimitExceeded        = "TopicLimitExceeded"
	CodeSubscriptionLimitExceeded = "SubscriptionLimitExceeded"
	CodeTagLimitExceeded          = "TagLimitExceeded"
	CodeResourceNotFound          = "ResourceNotFound"
)

func invalidParameter(format string, args ...any) *sqserr.Error {
	return sqserr.Errorf(CodeInvalidParameter, "Invalid parameter: "+format, args...)
}

func errTopicNotFound() *sqserr.Error {
	return sqserr.Errorf(CodeNotFound, "Topic does not exist")
}

// Ref names a topic: account, region and name.
type Ref struct {
	Account string
	Region  string
	Name    string
}

// ARN returns arn:aws:sns:{region}:{account}:{name}.
func (r Ref) ARN() string { return "arn:aws:sns:" + r.Region + ":" + r.Account + ":" + r.Name }

// FIFO reports whether the topic is a FIFO topic (its name ends in .fifo).
func (r Ref) FIFO() bool { return strings.HasSuffix(r.Name, ".fifo") }

var nameRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// ValidName reports whether name is a valid topic name: 1 to 256
// letters, digits, hyphens and underscores, FIFO names ending in .fifo.
func ValidName(name string) bool {
	return len(name) <= 256 && nameRe.MatchString(strings.TrimSuffix(name, ".fifo"))
}

// ParseTopicARN parses a topic ARN.
func ParseTopicARN(s string) (Ref, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] != "sns" || parts[3] == "" || len(parts[4]) != 12 || !ValidName(parts[5]) {
		return Ref{}, invalidParameter("TopicArn")
	}
	return Ref{Region: parts[3], Account: parts[4], Name: parts[5]}, nil
}

// SubRef names a subscription: its topic and its id (a UUID).
type SubRef struct {
	Topic Ref
	ID    string
}

// ARN returns {topicArn}:{id}.
func (s SubRef) ARN() string { return s.Topic.ARN() + ":" + s.ID }

var uuidRe = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// ParseSubscriptionARN parses a subscription ARN.
func ParseSubscriptionARN(s string) (SubRef, error) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 || !uuidRe.MatchString(s[i+1:]) {
		return SubRef{}, invalidParameter("SubscriptionArn")
	}
	t, err := ParseTopicARN(s[:i])
	if err != nil {
		return SubRef{}, invalidParameter("SubscriptionArn")
	}
	return SubRef{Topic: t, ID: s[i+1:]}, nil
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Topic is a topic record.
type Topic struct {
	Ref        Ref               `json:"-"`
	Attributes map[string]string `json:"attributes,omitempty"` // settable attributes only
	Tags       map[string]string `json:"tags,omitempty"`
	CreatedAt  int64             `json:"createdAt"`
}

// Subscription is a subscription record.
type Subscription struct {
	Ref        SubRef            `json:"-"`
	Protocol   string            `json:"protocol"`
	Endpoint   string            `json:"endpoint"`
	Attributes map[string]string `json:"attributes,omitempty"` // settable attributes only
	CreatedAt  int64             `json:"createdAt"`
	// Push is the state of an http/https subscription (push.go).
	Push *PushState `json:"push,omitempty"`
}

// RawDelivery reports whether the subscription gets bare message bodies.
func (s *Subscription) RawDelivery() bool {
	return s.Attributes["RawMessageDelivery"] == "true"
}
