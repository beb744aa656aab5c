package api

// Topic routes act as the SNS actions do (CreateTopic, SetTopicAttributes,
// Subscribe, ...): same attributes, limits and error codes, in the
// control plane's region.

// Topic is a topic's attributes and tags.
type Topic struct {
	Name string `json:"name"`
	ARN  string `json:"arn"`
	// Attributes are all of the topic's SNS attributes, as
	// GetTopicAttributes answers them.
	Attributes map[string]string `json:"attributes"`
	Tags       map[string]string `json:"tags"`
}

// CreateTopicRequest is the body of POST /v1/tenants/{account}/topics, as
// SNS CreateTopic: creating a topic that exists with the same attributes
// succeeds. A FIFO topic's name ends in .fifo and its attributes hold
// FifoTopic "true".
type CreateTopicRequest struct {
	Name       string            `json:"name"`
	Attributes map[string]string `json:"attributes,omitempty"`
	Tags       map[string]string `json:"tags,omitempty"`
}

// UpdateTopicRequest is the body of PATCH
// /v1/tenants/{account}/topics/{topic}; it must set at least one field.
// Everything it says is applied in one transaction, or nothing is.
type UpdateTopicRequest struct {
	// Attributes are set as SetTopicAttributes sets them; "" removes.
	Attributes map[string]string `json:"attributes,omitempty"`
	// Tags are added or replaced.
	Tags map[string]string `json:"tags,omitempty"`
	// RemoveTags are the keys of tags to remove.
	RemoveTags []string `json:"removeTags,omitempty"`
}

// TopicList is a page of a tenant's topic names.
type TopicList struct {
	Topics []string `json:"topics"`
	// Next, when set, is the next parameter that asks for the next page.
	Next string `json:"next,omitempty"`
}

// Subscription is a topic's subscription.
type Subscription struct {
	// ID is the subscription's id, the last part of its ARN.
	ID       string `json:"id"`
	ARN      string `json:"arn"`
	Topic    string `json:"topic"`
	Protocol string `json:"protocol"`
	Endpoint string `json:"endpoint"`
	// Attributes are all of the subscription's SNS attributes, as
	// GetSubscriptionAttributes answers them.
	Attributes map[string]string `json:"attributes"`
}

// CreateSubscriptionRequest is the body of POST
// /v1/tenants/{account}/topics/{topic}/subscriptions, as SNS Subscribe:
// subscribing the same protocol and endpoint again with the same
// attributes answers the existing subscription.
type CreateSubscriptionRequest struct {
	// Protocol is sqs.
	Protocol string `json:"protocol"`
	// Endpoint is a queue ARN of the tenant, or a queue name (a queue of
	// the control plane's region).
	Endpoint string `json:"endpoint"`
	// Attributes, e.g. RawMessageDelivery, FilterPolicy, FilterTags,
	// BindingKeys.
	Attributes map[string]string `json:"attributes,omitempty"`
}

// UpdateSubscriptionRequest is the body of PATCH
// /v1/tenants/{account}/topics/{topic}/subscriptions/{subscription}: the
// attributes to set ("" removes), in one transaction.
type UpdateSubscriptionRequest struct {
	Attributes map[string]string `json:"attributes"`
}

// SubscriptionList is a page of a topic's subscriptions.
type SubscriptionList struct {
	Subscriptions []Subscription `json:"subscriptions"`
	// Next, when set, is the next parameter that asks for the next page.
	Next string `json:"next,omitempty"`
}
