package snsapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/sluice-mq/sluice/data-plane/msgattr"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/data-plane/topics"
)

type action func(ctx context.Context, c *call) (any, error)

var actions map[string]action

func init() {
	actions = map[string]action{
		"CreateTopic":               createTopic,
		"DeleteTopic":               deleteTopic,
		"ListTopics":                listTopics,
		"GetTopicAttributes":        getTopicAttributes,
		"SetTopicAttributes":        setTopicAttributes,
		"Subscribe":                 subscribe,
		"ConfirmSubscription":       confirmSubscription,
		"Unsubscribe":               unsubscribe,
		"ListSubscriptions":         listSubscriptions,
		"ListSubscriptionsByTopic":  listSubscriptionsByTopic,
		"GetSubscriptionAttributes": getSubscriptionAttributes,
		"SetSubscriptionAttributes": setSubscriptionAttributes,
		"Publish":                   publish,
		"PublishBatch":              publishBatch,
		"TagResource":               tagResource,
		"UntagResource":             untagResource,
		"ListTagsForResource":       listTagsForResource,
	}
}

// Query parameter helpers.

func (c *call) param(name string) string { return c.params.Get(name) }

func (c *call) required(name string) (string, error) {
	v := c.params.Get(name)
	if v == "" {
		return "", newError(topics.CodeInvalidParameter, "Invalid parameter: %s", name)
	}
	return v, nil
}

// each calls fn with prefix.1, prefix.2, ... while any parameter starts
// with the prefix of that index.
func (c *call) each(prefix string, fn func(p string) error) error {
	for i := 1; ; i++ {
		p := fmt.Sprintf("%s.%d.", prefix, i)
		found := false
		for k := range c.params {
			if strings.HasPrefix(k, p) {
				found = true
				break
			}
		}
		if !found {
			return nil
		}
		if err := fn(p); err != nil {
			return err
		}
	}
}

// mapParam reads prefix.entry.N.key / .value (Attributes).
func (c *call) mapParam(prefix string) (map[string]string, error) {
	var out map[string]string
	err := c.each(prefix+".entry", func(p string) error {
		if out == nil {
			out = map[string]string{}
		}
		out[c.param(p+"key")] = c.param(p + "value")
		return nil
	})
	return out, err
}

// tagsParam reads Tags.member.N.Key / .Value.
func (c *call) tagsParam() map[string]string {
	var out map[string]string
	_ = c.each("Tags.member", func(p string) error {
		if out == nil {
			out = map[string]string{}
		}
		out[c.param(p+"Key")] = c.param(p + "Value")
		return nil
	})
	return out
}

// messageAttributes reads prefix.entry.N.Name / .Value.DataType /
// .Value.StringValue / .Value.BinaryValue.
func (c *call) messageAttributes(prefix string) (msgattr.Attributes, error) {
	var out msgattr.Attributes
	err := c.each(prefix+".entry", func(p string) error {
		if out == nil {
			out = msgattr.Attributes{}
		}
		v := msgattr.Value{DataType: c.param(p + "Value.DataType"), StringValue: c.param(p + "Value.StringValue")}
		if b := c.param(p + "Value.BinaryValue"); b != "" {
			raw, err := base64.StdEncoding.DecodeString(b)
			if err != nil {
				return newError(topics.CodeInvalidParameterValue, "The message attribute '%s' has an invalid binary value.", c.param(p+"Name"))
			}
			v.BinaryValue = raw
		}
		out[c.param(p+"Name")] = v
		return nil
	})
	return out, err
}

// topicRef resolves a topic ARN parameter for the caller: another
// account's topic is AuthorizationError, another region's an invalid
// parameter.
func (c *call) topicRef(param string) (topics.Ref, error) {
	s, err := c.required(param)
	if err != nil {
		return topics.Ref{}, err
	}
	ref, err := topics.ParseTopicARN(s)
	if err != nil {
		return topics.Ref{}, newError(topics.CodeInvalidParameter, "Invalid parameter: %s", param)
	}
	if err := c.own(ref, s); err != nil {
		return topics.Ref{}, err
	}
	return ref, nil
}

func (c *call) own(ref topics.Ref, arn string) error {
	if ref.Account != c.principal.AccountID {
		return newError(topics.CodeAuthorizationError, "User: arn:aws:iam::%s:root is not authorized to perform: SNS:%s on resource: %s",
			c.principal.AccountID, c.action, arn)
	}
	if ref.Region != c.principal.Region {
		return newError(topics.CodeInvalidParameter, "Invalid parameter: TopicArn")
	}
	return nil
}

func (c *call) subRef() (topics.SubRef, error) {
	s, err := c.required("SubscriptionArn")
	if err != nil {
		return topics.SubRef{}, err
	}
	ref, err := topics.ParseSubscriptionARN(s)
	if err != nil {
		return topics.SubRef{}, err
	}
	return ref, c.own(ref.Topic, s)
}

// Reply shapes (the members of {Action}Result).

type entry struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

type attributesResult struct {
	Attributes []entry `xml:"Attributes>entry"`
}

func attributes(m map[string]string) attributesResult {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := attributesResult{Attributes: make([]entry, 0, len(keys))}
	for _, k := range keys {
		out.Attributes = append(out.Attributes, entry{Key: k, Value: m[k]})
	}
	return out
}

type subscriptionMember struct {
	SubscriptionArn string `xml:"SubscriptionArn"`
	Owner           string `xml:"Owner"`
	Protocol        string `xml:"Protocol"`
	Endpoint        string `xml:"Endpoint"`
	TopicArn        string `xml:"TopicArn"`
}

type subscriptionsResult struct {
	Subscriptions []subscriptionMember `xml:"Subscriptions>member"`
	NextToken     string               `xml:"NextToken,omitempty"`
}

type tag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// Actions.

func createTopic(ctx context.Context, c *call) (any, error) {
	name, err := c.required("Name")
	if err != nil {
		return nil, err
	}
	attrs, err := c.mapParam("Attributes")
	if err != nil {
		return nil, err
	}
	ref := topics.Ref{Account: c.principal.AccountID, Region: c.principal.Region, Name: name}
	limit := c.principal.Quotas.MaxQueues
	t, err := c.h.topics.Create(ctx, ref, attrs, c.tagsParam(), func(n int64) error {
		if limit > 0 && n >= int64(limit) {
			return sqserr.Errorf(topics.CodeTopicLimitExceeded, "Topic limit exceeded: the account has reached its quota of %d topics.", limit)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return struct {
		TopicArn string `xml:"TopicArn"`
	}{t.Ref.ARN()}, nil
}

func deleteTopic(ctx context.Context, c *call) (any, error) {
	ref, err := c.topicRef("TopicArn")
	if err != nil {
		return nil, err
	}
	return nil, c.h.topics.Delete(ctx, ref)
}

func listTopics(ctx context.Context, c *call) (any, error) {
	after := ""
	if tok := c.param("NextToken"); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || !topics.ValidName(string(b)) {
			return nil, newError(topics.CodeInvalidParameter, "Invalid parameter: NextToken")
		}
		after = string(b)
	}
	refs, next, err := c.h.topics.List(ctx, c.principal.AccountID, c.principal.Region, after)
	if err != nil {
		return nil, err
	}
	type member struct {
		TopicArn string `xml:"TopicArn"`
	}
	out := struct {
		Topics    []member `xml:"Topics>member"`
		NextToken string   `xml:"NextToken,omitempty"`
	}{Topics: []member{}}
	for _, r := range refs {
		out.Topics = append(out.Topics, member{r.ARN()})
	}
	if next != "" {
		out.NextToken = base64.RawURLEncoding.EncodeToString([]byte(next))
	}
	return out, nil
}

func getTopicAttributes(ctx context.Context, c *call) (any, error) {
	ref, err := c.topicRef("TopicArn")
	if err != nil {
		return nil, err
	}
	m, err := c.h.topics.TopicAttributes(ctx, ref)
	if err != nil {
		return nil, err
	}
	return attributes(m), nil
}

func setTopicAttributes(ctx context.Context, c *call) (any, error) {
	ref, err := c.topicRef("TopicArn")
	if err != nil {
		return nil, err
	}
	name, err := c.required("AttributeName")
	if err != nil {
		return nil, err
	}
	return nil, c.h.topics.SetAttribute(ctx, ref, name, c.param("AttributeValue"))
}

func subscribe(ctx context.Context, c *call) (any, error) {
	ref, err := c.topicRef("TopicArn")
	if err != nil {
		return nil, err
	}
	protocol, err := c.required("Protocol")
	if err != nil {
		return nil, err
	}
	attrs, err := c.mapParam("Attributes")
	if err != nil {
		return nil, err
	}
	if topics.IsPush(protocol) {
		return c.subscribePush(ctx, ref, protocol, attrs)
	}
	s, err := c.h.topics.Subscribe(ctx, ref, protocol, c.param("Endpoint"), attrs)
	if err != nil {
		return nil, err
	}
	// sqs subscriptions of the owner's queues are confirmed at once, so
	// the ARN is returned whatever ReturnSubscriptionArn says.
	return struct {
		SubscriptionArn string `xml:"SubscriptionArn"`
	}{s.Ref.ARN()}, nil
}

func unsubscribe(ctx context.Context, c *call) (any, error) {
	ref, err := c.subRef()
	if err != nil {
		return nil, err
	}
	return nil, c.h.topics.Unsubscribe(ctx, ref)
}

func listSubscriptions(ctx context.Context, c *call) (any, error) {
	return c.listSubs(ctx, nil)
}

func listSubscriptionsByTopic(ctx context.Context, c *call) (any, error) {
	ref, err := c.topicRef("TopicArn")
	if err != nil {
		return nil, err
	}
	return c.listSubs(ctx, &ref)
}

func (c *call) listSubs(ctx context.Context, topic *topics.Ref) (any, error) {
	after := ""
	if tok := c.param("NextToken"); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil {
			return nil, newError(topics.CodeInvalidParameter, "Invalid parameter: NextToken")
		}
		after = string(b)
	}
	subs, next, err := c.h.topics.ListSubscriptions(ctx, c.principal.AccountID, c.principal.Region, topic, after)
	if err != nil {
		return nil, err
	}
	out := subscriptionsResult{Subscriptions: []subscriptionMember{}}
	for _, s := range subs {
		out.Subscriptions = append(out.Subscriptions, subscriptionMember{
			SubscriptionArn: listedARN(s), Owner: s.Ref.Topic.Account, Protocol: s.Protocol, Endpoint: s.Endpoint, TopicArn: s.Ref.Topic.ARN(),
		})
	}
	if next != "" {
		out.NextToken = base64.RawURLEncoding.EncodeToString([]byte(next))
	}
	return out, nil
}

func getSubscriptionAttributes(ctx context.Context, c *call) (any, error) {
	ref, err := c.subRef()
	if err != nil {
		return nil, err
	}
	m, err := c.h.topics.SubscriptionAttributes(ctx, ref)
	if err != nil {
		return nil, err
	}
	return attributes(m), nil
}

func setSubscriptionAttributes(ctx context.Context, c *call) (any, error) {
	ref, err := c.subRef()
	if err != nil {
		return nil, err
	}
	name, err := c.required("AttributeName")
	if err != nil {
		return nil, err
	}
	return nil, c.h.topics.SetSubscriptionAttribute(ctx, ref, name, c.param("AttributeValue"))
}

// message reads one message's parameters under prefix ("" or a batch
// entry's).
func (c *call) message(prefix string) (topics.Message, error) {
	m := topics.Message{Body: c.param(prefix + "Message"), Subject: c.param(prefix + "Subject"),
		GroupID: c.param(prefix + "MessageGroupId"), DeduplicationID: c.param(prefix + "MessageDeduplicationId")}
	switch c.param(prefix + "MessageStructure") {
	case "":
	case "json":
		var per map[string]any
		if err := json.Unmarshal([]byte(m.Body), &per); err != nil {
			return m, newError(topics.CodeInvalidParameter, "Invalid parameter: Message Structure - JSON message body failed to parse")
		}
		def, ok := per["default"].(string)
		if !ok {
			return m, newError(topics.CodeInvalidParameter, "Invalid parameter: Message Structure - No default entry in JSON message body")
		}
		m.Body = def
		if s, ok := per["sqs"].(string); ok {
			m.Body = s
		}
	default:
		return m, newError(topics.CodeInvalidParameter, "Invalid parameter: MessageStructure")
	}
	attrs, err := c.messageAttributes(prefix + "MessageAttributes")
	m.Attributes = attrs
	return m, err
}

func (c *call) publishTarget() (topics.Ref, error) {
	if c.param("PhoneNumber") != "" {
		return topics.Ref{}, newError(topics.CodeInvalidParameter, "Invalid parameter: PhoneNumber Reason: SMS is not supported")
	}
	if c.param("TopicArn") == "" && c.param("TargetArn") != "" {
		return c.topicRef("TargetArn")
	}
	return c.topicRef("TopicArn")
}

func publish(ctx context.Context, c *call) (any, error) {
	ref, err := c.publishTarget()
	if err != nil {
		return nil, err
	}
	m, err := c.message("")
	if err != nil {
		return nil, err
	}
	res, err := c.h.topics.Publish(ctx, c.h.eng, ref, m)
	if err != nil {
		return nil, err
	}
	return struct {
		MessageId      string `xml:"MessageId"`
		SequenceNumber string `xml:"SequenceNumber,omitempty"`
	}{res.MessageID, res.SequenceNumber}, nil
}

const maxBatchEntries = 10

var batchIDRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

func publishBatch(ctx context.Context, c *call) (any, error) {
	ref, err := c.topicRef("TopicArn")
	if err != nil {
		return nil, err
	}
	type entryIn struct {
		id  string
		msg topics.Message
		err error
	}
	var entries []entryIn
	seen := map[string]bool{}
	size := 0
	err = c.each("PublishBatchRequestEntries.member", func(p string) error {
		if len(entries) == maxBatchEntries {
			return newError("TooManyEntriesInBatchRequest", "The batch request contains more entries than permissible.")
		}
		id := c.param(p + "Id")
		if !batchIDRe.MatchString(id) {
			return newError("InvalidBatchEntryId", "The Id of a batch entry in a batch request doesn't abide by the specification.")
		}
		if seen[id] {
			return newError("BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id.")
		}
		seen[id] = true
		m, err := c.message(p)
		if we := toWire(err); err != nil && we == nil {
			return err
		}
		size += len(m.Body) + msgattr.Size(m.Attributes)
		entries = append(entries, entryIn{id: id, msg: m, err: err})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, newError("EmptyBatchRequest", "The batch request doesn't contain any entries.")
	}
	if size > topics.MaxMessageBytes {
		return nil, newError("BatchRequestTooLong", "The length of all the messages put together is more than the limit.")
	}
	var msgs []topics.Message
	var idx []int
	for i, e := range entries {
		if e.err == nil {
			msgs = append(msgs, e.msg)
			idx = append(idx, i)
		}
	}
	results, err := c.h.topics.PublishBatch(ctx, c.h.eng, ref, msgs)
	if err != nil {
		return nil, err
	}
	for k, r := range results {
		if r.Err != nil {
			entries[idx[k]].err = r.Err
		}
	}
	type ok struct {
		Id             string `xml:"Id"`
		MessageId      string `xml:"MessageId"`
		SequenceNumber string `xml:"SequenceNumber,omitempty"`
	}
	type failed struct {
		Id          string `xml:"Id"`
		Code        string `xml:"Code"`
		Message     string `xml:"Message"`
		SenderFault bool   `xml:"SenderFault"`
	}
	out := struct {
		Successful []ok     `xml:"Successful>member"`
		Failed     []failed `xml:"Failed>member"`
	}{Successful: []ok{}, Failed: []failed{}}
	k := 0
	for _, e := range entries {
		if e.err != nil {
			we := toWire(e.err)
			out.Failed = append(out.Failed, failed{Id: e.id, Code: we.Code, Message: we.Message, SenderFault: true})
			continue
		}
		out.Successful = append(out.Successful, ok{Id: e.id, MessageId: results[k].Result.MessageID, SequenceNumber: results[k].Result.SequenceNumber})
		k++
	}
	return out, nil
}

func (c *call) resourceRef() (topics.Ref, error) {
	return c.topicRef("ResourceArn")
}

func tagResource(ctx context.Context, c *call) (any, error) {
	ref, err := c.resourceRef()
	if err != nil {
		return nil, err
	}
	tags := c.tagsParam()
	if len(tags) == 0 {
		return nil, newError(topics.CodeInvalidParameter, "Invalid parameter: Tags")
	}
	return struct{}{}, c.h.topics.Tag(ctx, ref, tags)
}

func untagResource(ctx context.Context, c *call) (any, error) {
	ref, err := c.resourceRef()
	if err != nil {
		return nil, err
	}
	var keys []string
	for i := 1; ; i++ {
		k := c.param(fmt.Sprintf("TagKeys.member.%d", i))
		if k == "" {
			break
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, newError(topics.CodeInvalidParameter, "Invalid parameter: TagKeys")
	}
	return struct{}{}, c.h.topics.Untag(ctx, ref, keys)
}

func listTagsForResource(ctx context.Context, c *call) (any, error) {
	ref, err := c.resourceRef()
	if err != nil {
		return nil, err
	}
	tags, err := c.h.topics.Tags(ctx, ref)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := struct {
		Tags []tag `xml:"Tags>member"`
	}{Tags: []tag{}}
	for _, k := range keys {
		out.Tags = append(out.Tags, tag{k, tags[k]})
	}
	return out, nil
}
