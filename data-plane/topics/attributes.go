package topics

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/sluice-mq/sluice/data-plane/topics/filter"
)

// checkTopicAttribute validates one settable topic attribute; create says
// whether it is given to CreateTopic (FifoTopic may only be given there).
func checkTopicAttribute(r Ref, name, value string, create bool) error {
	switch name {
	case "DisplayName":
		if utf8.RuneCountInString(value) > 100 {
			return invalidParameter("DisplayName")
		}
	case "Policy", "DeliveryPolicy", "DataProtectionPolicy":
		if value != "" && !json.Valid([]byte(value)) {
			return invalidParameter("Attributes Reason: %s: failed to parse JSON", name)
		}
	case "KmsMasterKeyId":
	case "SignatureVersion":
		if value != "1" && value != "2" {
			return invalidParameter("Attributes Reason: SignatureVersion: must be 1 or 2")
		}
	case "TracingConfig":
		if value != "PassThrough" && value != "Active" {
			return invalidParameter("Attributes Reason: TracingConfig: must be PassThrough or Active")
		}
	case "FifoTopic":
		if !create {
			return invalidParameter("AttributeName")
		}
		if (value == "true") != r.FIFO() || (value != "true" && value != "false") {
			return invalidParameter("Fifo Topic names must end with .fifo and Standard Topic cannot end with .fifo")
		}
	case "ContentBasedDeduplication":
		if !r.FIFO() {
			return invalidParameter("Attributes Reason: ContentBasedDeduplication: can only be set on FIFO topics")
		}
		if value != "true" && value != "false" {
			return invalidParameter("Attributes Reason: ContentBasedDeduplication: must be true or false")
		}
	default:
		return invalidParameter("AttributeName")
	}
	return nil
}

// checkSubscriptionAttributes validates the settable subscription
// attributes attrs would hold (all of them, so FilterPolicyScope is
// checked against FilterPolicy).
func checkSubscriptionAttributes(attrs map[string]string) error {
	for name, value := range attrs {
		switch name {
		case "RawMessageDelivery":
			if v := strings.ToLower(value); v != "true" && v != "false" {
				return invalidParameter("Attributes Reason: RawMessageDelivery: Invalid value [%s]. Must be true or false.", value)
			}
		case "FilterPolicy":
		case "FilterPolicyScope":
			if value != string(filter.ScopeAttributes) && value != string(filter.ScopeBody) {
				return invalidParameter("Attributes Reason: FilterPolicyScope: Invalid value [%s]. Please use either MessageBody or MessageAttributes", value)
			}
		case "DeliveryPolicy", "RedrivePolicy", "ReplayPolicy":
			if value != "" && !json.Valid([]byte(value)) {
				return invalidParameter("Attributes Reason: %s: failed to parse JSON", name)
			}
		case "SubscriptionRoleArn":
		case SubAttrFilterTags, SubAttrBindingKeys:
			if _, err := cmqFilterAttribute(name, value); err != nil {
				return err
			}
		default:
			if !knownSubscriptionAttribute(name) {
				return invalidParameter("AttributeName")
			}
		}
	}
	if p := attrs["FilterPolicy"]; p != "" {
		if _, err := filter.Compile(p, filter.Scope(attrs["FilterPolicyScope"])); err != nil {
			return invalidParameter("Attributes Reason: %s", strings.TrimPrefix(err.Error(), "Invalid parameter: "))
		}
	}
	return nil
}

// normalizeSubscriptionAttribute stores booleans in lower case and CMQ
// filters as compact JSON.
func normalizeSubscriptionAttribute(name, value string) string {
	if name == "RawMessageDelivery" {
		return strings.ToLower(value)
	}
	if isCMQSubscriptionAttribute(name) && value != "" {
		if v, err := cmqFilterAttribute(name, value); err == nil {
			return v
		}
	}
	return value
}

func knownSubscriptionAttribute(name string) bool {
	switch name {
	case "RawMessageDelivery", "FilterPolicy", "FilterPolicyScope", "DeliveryPolicy", "RedrivePolicy", "ReplayPolicy", "SubscriptionRoleArn":
		return true
	case "NotifyStrategy", "SigningSecret": // push subscriptions (push.go)
		return true
	}
	return isCMQSubscriptionAttribute(name)
}
