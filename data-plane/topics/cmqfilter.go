package topics

import (
	"encoding/json"

	"github.com/sluice-mq/sluice/data-plane/msgattr"
	"github.com/sluice-mq/sluice/data-plane/topics/filter"
)

// CMQ's two filter styles, over the SNS API. A publisher sets a message's
// tags and routing key in reserved message attributes; a subscription
// filters with two attributes of its own. Both are JSON arrays of strings
// so they read like FilterPolicy's values.
const (
	// AttrMessageTags is the message attribute holding a message's tags:
	// DataType String.Array, 1 to 5 tags of 1 to 16 characters.
	AttrMessageTags = "sluice.tags"
	// AttrRoutingKey is the message attribute holding a message's
	// routing key: DataType String, 1 to 64 bytes, at most 16 non-empty
	// dot-separated words.
	AttrRoutingKey = "sluice.routingKey"

	// SubAttrFilterTags is the subscription attribute of its filter
	// tags: a JSON array of 1 to 5 tags. The subscription gets only the
	// messages sharing one of them.
	SubAttrFilterTags = "FilterTags"
	// SubAttrBindingKeys is the subscription attribute of its binding
	// keys: a JSON array of 1 to 5 keys where "*" is one word and "#"
	// zero or more. The subscription gets only the messages whose
	// routing key one of them matches.
	SubAttrBindingKeys = "BindingKeys"
)

func isCMQSubscriptionAttribute(name string) bool {
	return name == SubAttrFilterTags || name == SubAttrBindingKeys
}

// stringArray decodes a JSON array of strings.
func stringArray(v string) ([]string, bool) {
	var out []string
	if json.Unmarshal([]byte(v), &out) != nil || out == nil {
		return nil, false
	}
	return out, true
}

// cmqFilterAttribute checks FilterTags or BindingKeys and returns its
// canonical form (compact JSON, so an idempotent Subscribe compares
// equal values equal).
func cmqFilterAttribute(name, value string) (string, error) {
	arr, ok := stringArray(value)
	if !ok {
		return "", invalidParameter("Attributes Reason: %s: must be a JSON array of strings", name)
	}
	var err error
	if name == SubAttrFilterTags {
		_, err = filter.ParseTags(name, arr)
	} else {
		_, err = filter.ParseBindingKeys(arr)
	}
	if err != nil {
		return "", invalidParameter("Attributes Reason: %s: %s", name, err)
	}
	b, _ := json.Marshal(arr)
	return string(b), nil
}

// messageKeys reads a message's tags and routing key from its reserved
// attributes; either may be absent.
func messageKeys(attrs msgattr.Attributes) (filter.Tags, filter.RoutingKey, error) {
	var (
		tags filter.Tags
		rk   filter.RoutingKey
	)
	if a, ok := attrs[AttrMessageTags]; ok {
		arr, isArr := stringArray(a.StringValue)
		if a.DataType != "String.Array" || !isArr {
			return nil, nil, invalidParameter("MessageAttributes Reason: %s must be a String.Array of strings", AttrMessageTags)
		}
		t, err := filter.ParseTags(AttrMessageTags, arr)
		if err != nil {
			return nil, nil, invalidParameter("MessageAttributes Reason: %s", err)
		}
		tags = t
	}
	if a, ok := attrs[AttrRoutingKey]; ok {
		if a.DataType != "String" {
			return nil, nil, invalidParameter("MessageAttributes Reason: %s must be a String", AttrRoutingKey)
		}
		r, err := filter.ParseRoutingKey(a.StringValue)
		if err != nil {
			return nil, nil, invalidParameter("MessageAttributes Reason: %s: %s", AttrRoutingKey, err)
		}
		rk = r
	}
	return tags, rk, nil
}

// subFilter is a subscription's compiled filters: a message passes when
// every one that is set matches (FilterPolicy, FilterTags, BindingKeys).
type subFilter struct {
	policy   *filter.Policy
	tags     filter.Tags
	bindings filter.BindingKeys
}

// compileSubFilter compiles a subscription's filters; they were
// validated when stored, so an error means a corrupt record.
func compileSubFilter(attrs map[string]string) (*subFilter, error) {
	f := &subFilter{}
	var err error
	if p := attrs["FilterPolicy"]; p != "" {
		if f.policy, err = filter.Compile(p, filter.Scope(attrs["FilterPolicyScope"])); err != nil {
			return nil, err
		}
	}
	if v := attrs[SubAttrFilterTags]; v != "" {
		arr, _ := stringArray(v)
		if f.tags, err = filter.ParseTags(SubAttrFilterTags, arr); err != nil {
			return nil, err
		}
	}
	if v := attrs[SubAttrBindingKeys]; v != "" {
		arr, _ := stringArray(v)
		if f.bindings, err = filter.ParseBindingKeys(arr); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// filteredMessage is what the filters look at in one message.
type filteredMessage struct {
	attrs map[string]filter.Attribute
	body  string
	tags  filter.Tags
	rk    filter.RoutingKey
}

func newFilteredMessage(m Message) (*filteredMessage, error) {
	tags, rk, err := messageKeys(m.Attributes)
	if err != nil {
		return nil, err
	}
	return &filteredMessage{attrs: filterAttributes(m.Attributes), body: m.Body, tags: tags, rk: rk}, nil
}

// match reports whether the message passes every filter set.
func (f *subFilter) match(m *filteredMessage) bool {
	if f.tags != nil && !f.tags.Match(m.tags) {
		return false
	}
	if f.bindings != nil && !f.bindings.Match(m.rk) {
		return false
	}
	return f.policy == nil || f.policy.Match(m.attrs, m.body)
}
