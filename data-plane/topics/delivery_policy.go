package topics

import (
	"encoding/json"
	"math"
	"strings"
	"time"

	"github.com/sluice-mq/sluice/data-plane/queues"
)

// Retry strategies of an http/https subscription: SNS's delivery policy
// (the default) or one of CMQ's notify strategies, chosen with the
// subscription attribute NotifyStrategy.
const (
	StrategySNS              = ""
	StrategyExponentialDecay = "EXPONENTIAL_DECAY_RETRY"
	StrategyBackoff          = "BACKOFF_RETRY"
)

// SNS's bounds on a healthy retry policy.
const (
	maxRetries        = 100
	maxDelayTarget    = 3600
	maxPolicySeconds  = 3600 // SNS caps a policy's total retry time
	decayCap          = 512  // CMQ's doubling stops here: ~176 tries a day
	decayMaxAge       = 24 * time.Hour
	defaultBackoffN   = 3
	defaultBackoffGap = 20
)

// RetryPolicy says when a failed push delivery is tried again and when
// it is given up (then it goes to the subscription's dead-letter queue,
// if it has one, or is dropped).
type RetryPolicy struct {
	Strategy string
	// SNS healthyRetryPolicy fields (BACKOFF_RETRY uses NumRetries and
	// MinDelay as its count and interval).
	NumRetries, NumNoDelayRetries, NumMinDelayRetries, NumMaxDelayRetries int
	MinDelay, MaxDelay                                                    int // seconds
	Backoff                                                               string
}

// DeliveryPolicy is what a push worker follows for one subscription.
type DeliveryPolicy struct {
	Retry RetryPolicy
	// MaxPerSecond throttles deliveries (SNS throttlePolicy); 0 is none.
	MaxPerSecond float64
	// ContentType is the requests' Content-Type (SNS requestPolicy).
	ContentType string
	// DeadLetter is the subscription's dead-letter queue (RedrivePolicy).
	DeadLetter *queues.Ref
}

// DefaultContentType is SNS's Content-Type for http deliveries.
const DefaultContentType = "text/plain; charset=UTF-8"

// snsRetry is SNS's default for http: 3 retries 20 s apart.
var snsRetry = RetryPolicy{NumRetries: 3, MinDelay: 20, MaxDelay: 20, Backoff: "linear"}

// Next says, after failed attempts of a message first sent age ago, how
// long to wait before the next one, or false to give up.
func (p RetryPolicy) Next(failed int, age time.Duration) (time.Duration, bool) {
	switch p.Strategy {
	case StrategyExponentialDecay:
		shift := min(failed-1, 10)
		d := time.Duration(min(1<<max(shift, 0), decayCap)) * time.Second
		if age+d >= decayMaxAge {
			return 0, false
		}
		return d, true
	case StrategyBackoff:
		if failed > p.NumRetries {
			return 0, false
		}
		return time.Duration(p.MinDelay) * time.Second, true
	}
	k := failed // the retry about to be made
	if k > p.NumRetries {
		return 0, false
	}
	return time.Duration(p.delay(k) * float64(time.Second)), true
}

// delay is SNS's delay before retry k (1-based): the no-delay retries,
// then the minimum-delay ones, then a backoff from the minimum to the
// maximum, then the maximum-delay ones.
func (p RetryPolicy) delay(k int) float64 {
	if k <= p.NumNoDelayRetries {
		return 0
	}
	k -= p.NumNoDelayRetries
	if k <= p.NumMinDelayRetries {
		return float64(p.MinDelay)
	}
	k -= p.NumMinDelayRetries
	steps := p.NumRetries - p.NumNoDelayRetries - p.NumMinDelayRetries - p.NumMaxDelayRetries
	if k > steps {
		return float64(p.MaxDelay)
	}
	x := float64(k) / float64(steps)
	var f float64
	switch p.Backoff {
	case "arithmetic":
		f = x * x
	case "geometric":
		f = x * x * x
	case "exponential":
		f = (math.Exp2(float64(steps)*x) - 1) / (math.Exp2(float64(steps)) - 1)
	default: // linear
		f = x
	}
	return float64(p.MinDelay) + float64(p.MaxDelay-p.MinDelay)*f
}

// healthyRetryPolicy is SNS's JSON shape.
type healthyRetryPolicy struct {
	NumRetries         *int   `json:"numRetries"`
	NumNoDelayRetries  int    `json:"numNoDelayRetries"`
	NumMinDelayRetries int    `json:"numMinDelayRetries"`
	NumMaxDelayRetries int    `json:"numMaxDelayRetries"`
	MinDelayTarget     *int   `json:"minDelayTarget"`
	MaxDelayTarget     *int   `json:"maxDelayTarget"`
	BackoffFunction    string `json:"backoffFunction"`
}

type throttlePolicy struct {
	MaxReceivesPerSecond float64 `json:"maxReceivesPerSecond"`
}

type requestPolicy struct {
	HeaderContentType string `json:"headerContentType"`
}

// subDeliveryPolicy is a subscription's DeliveryPolicy attribute.
type subDeliveryPolicy struct {
	HealthyRetryPolicy *healthyRetryPolicy `json:"healthyRetryPolicy"`
	ThrottlePolicy     *throttlePolicy     `json:"throttlePolicy"`
	RequestPolicy      *requestPolicy      `json:"requestPolicy"`
}

// topicDeliveryPolicy is a topic's DeliveryPolicy attribute (its http
// part: the defaults of its http/https subscriptions).
type topicDeliveryPolicy struct {
	HTTP *struct {
		DefaultHealthyRetryPolicy    *healthyRetryPolicy `json:"defaultHealthyRetryPolicy"`
		DefaultThrottlePolicy        *throttlePolicy     `json:"defaultThrottlePolicy"`
		DefaultRequestPolicy         *requestPolicy      `json:"defaultRequestPolicy"`
		DisableSubscriptionOverrides bool                `json:"disableSubscriptionOverrides"`
	} `json:"http"`
}

func (h *healthyRetryPolicy) policy(name string) (RetryPolicy, error) {
	p := snsRetry
	if h.NumRetries != nil {
		p.NumRetries = *h.NumRetries
	}
	if h.MinDelayTarget != nil {
		p.MinDelay = *h.MinDelayTarget
	}
	if h.MaxDelayTarget != nil {
		p.MaxDelay = *h.MaxDelayTarget
	}
	p.NumNoDelayRetries, p.NumMinDelayRetries, p.NumMaxDelayRetries = h.NumNoDelayRetries, h.NumMinDelayRetries, h.NumMaxDelayRetries
	if h.BackoffFunction != "" {
		p.Backoff = h.BackoffFunction
	}
	bad := func(why string) (RetryPolicy, error) {
		return RetryPolicy{}, invalidParameter("Attributes Reason: %s: %s", name, why)
	}
	switch {
	case p.NumRetries < 0 || p.NumRetries > maxRetries:
		return bad("numRetries must be between 0 and 100")
	case p.NumNoDelayRetries < 0 || p.NumMinDelayRetries < 0 || p.NumMaxDelayRetries < 0:
		return bad("retry counts must not be negative")
	case p.NumNoDelayRetries+p.NumMinDelayRetries+p.NumMaxDelayRetries > p.NumRetries:
		return bad("numNoDelayRetries, numMinDelayRetries and numMaxDelayRetries must add up to at most numRetries")
	case p.MinDelay < 1 || p.MaxDelay > maxDelayTarget || p.MinDelay > p.MaxDelay:
		return bad("minDelayTarget must be between 1 and maxDelayTarget, maxDelayTarget at most 3600")
	}
	switch p.Backoff {
	case "linear", "arithmetic", "geometric", "exponential":
	default:
		return bad("backoffFunction must be linear, arithmetic, geometric or exponential")
	}
	total := 0.0
	for k := 1; k <= p.NumRetries; k++ {
		total += p.delay(k)
	}
	if total > maxPolicySeconds {
		return bad("the retries must fit in 3600 seconds")
	}
	return p, nil
}

func checkThrottle(name string, t *throttlePolicy) error {
	if t != nil && (t.MaxReceivesPerSecond < 1 || t.MaxReceivesPerSecond > 1e6) {
		return invalidParameter("Attributes Reason: %s: maxReceivesPerSecond must be at least 1", name)
	}
	return nil
}

func checkRequest(name string, r *requestPolicy) error {
	if r != nil && (len(r.HeaderContentType) > 256 || strings.ContainsAny(r.HeaderContentType, "\r\n")) {
		return invalidParameter("Attributes Reason: %s: headerContentType is not valid", name)
	}
	return nil
}

func decodeStrict(s string, v any) error {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// checkSubDeliveryPolicy validates a subscription's DeliveryPolicy.
func checkSubDeliveryPolicy(s string) error {
	var p subDeliveryPolicy
	if err := decodeStrict(s, &p); err != nil {
		return invalidParameter("Attributes Reason: DeliveryPolicy: %v", err)
	}
	if p.HealthyRetryPolicy != nil {
		if _, err := p.HealthyRetryPolicy.policy("DeliveryPolicy"); err != nil {
			return err
		}
	}
	if err := checkThrottle("DeliveryPolicy", p.ThrottlePolicy); err != nil {
		return err
	}
	return checkRequest("DeliveryPolicy", p.RequestPolicy)
}

// redrivePolicy is SNS's subscription RedrivePolicy.
type redrivePolicy struct {
	DeadLetterTargetArn string `json:"deadLetterTargetArn"`
}

// checkRedrivePolicy validates a subscription's RedrivePolicy: a standard
// queue of the topic's account and region.
func checkRedrivePolicy(topic Ref, s string) (queues.Ref, error) {
	var p redrivePolicy
	if err := decodeStrict(s, &p); err != nil || p.DeadLetterTargetArn == "" {
		return queues.Ref{}, invalidParameter("Attributes Reason: RedrivePolicy: deadLetterTargetArn is required")
	}
	arn, err := queues.ParseARN(p.DeadLetterTargetArn)
	if err != nil {
		return queues.Ref{}, invalidParameter("Attributes Reason: RedrivePolicy: deadLetterTargetArn is not a queue ARN")
	}
	if arn.Account != topic.Account {
		return queues.Ref{}, sqserrAuthorization(p.DeadLetterTargetArn)
	}
	if arn.Region != topic.Region {
		return queues.Ref{}, invalidParameter("Attributes Reason: RedrivePolicy: the dead-letter queue must be in the topic's region")
	}
	if queues.IsFIFOName(arn.Name) != topic.FIFO() {
		return queues.Ref{}, invalidParameter("Attributes Reason: RedrivePolicy: the dead-letter queue must be of the topic's type (standard or FIFO)")
	}
	return arn.Ref(), nil
}

// PolicyFor is the delivery policy of subscription s of topic t: its
// own attributes, else the topic's http defaults, else SNS's defaults.
// Stored attributes were validated when set, so errors are not expected.
func PolicyFor(t *Topic, s *Subscription) (DeliveryPolicy, error) {
	out := DeliveryPolicy{Retry: snsRetry, ContentType: DefaultContentType}
	override := true
	if tp := t.Attributes["DeliveryPolicy"]; tp != "" {
		var p topicDeliveryPolicy
		if err := json.Unmarshal([]byte(tp), &p); err == nil && p.HTTP != nil {
			if h := p.HTTP.DefaultHealthyRetryPolicy; h != nil {
				if r, err := h.policy("DeliveryPolicy"); err == nil {
					out.Retry = r
				}
			}
			if th := p.HTTP.DefaultThrottlePolicy; th != nil {
				out.MaxPerSecond = th.MaxReceivesPerSecond
			}
			if rq := p.HTTP.DefaultRequestPolicy; rq != nil && rq.HeaderContentType != "" {
				out.ContentType = rq.HeaderContentType
			}
			override = !p.HTTP.DisableSubscriptionOverrides
		}
	}
	var sp subDeliveryPolicy
	if v := s.Attributes["DeliveryPolicy"]; v != "" && override {
		if err := json.Unmarshal([]byte(v), &sp); err != nil {
			return out, err
		}
		if h := sp.HealthyRetryPolicy; h != nil {
			r, err := h.policy("DeliveryPolicy")
			if err != nil {
				return out, err
			}
			out.Retry = r
		}
		if th := sp.ThrottlePolicy; th != nil {
			out.MaxPerSecond = th.MaxReceivesPerSecond
		}
		if rq := sp.RequestPolicy; rq != nil && rq.HeaderContentType != "" {
			out.ContentType = rq.HeaderContentType
		}
	}
	switch strategy := s.Attributes["NotifyStrategy"]; strategy {
	case StrategyExponentialDecay:
		out.Retry = RetryPolicy{Strategy: strategy}
	case StrategyBackoff:
		r := RetryPolicy{Strategy: strategy, NumRetries: defaultBackoffN, MinDelay: defaultBackoffGap}
		if h := sp.HealthyRetryPolicy; h != nil {
			if h.NumRetries != nil {
				r.NumRetries = *h.NumRetries
			}
			if h.MinDelayTarget != nil {
				r.MinDelay = *h.MinDelayTarget
			}
		}
		out.Retry = r
	}
	if v := s.Attributes["RedrivePolicy"]; v != "" {
		q, err := checkRedrivePolicy(s.Ref.Topic, v)
		if err != nil {
			return out, err
		}
		out.DeadLetter = &q
	}
	return out, nil
}
