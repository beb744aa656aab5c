package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sluice-mq/sluice/e2e/internal/sluiceproc"
	"github.com/sluice-mq/sluice/sdk/awshttp"
)

// snsClientFor is aws-sdk-go-v2's SNS client, unchanged, on the same
// endpoint as SQS.
func snsClientFor(p *sluiceproc.Process, id, secret string) *sns.Client {
	return sns.New(sns.Options{
		Region:           p.Region,
		BaseEndpoint:     aws.String(p.Endpoint),
		Credentials:      credentials.NewStaticCredentialsProvider(id, secret, ""),
		RetryMaxAttempts: 1,
		HTTPClient:       awshttp.NewClient(nil),
	})
}

// TestSNSTopicsFanOutToQueues: aws-sdk-go-v2's SNS client against
// `sluice dev` creates a topic, subscribes two queues (one raw, one with a
// filter policy and the JSON envelope), publishes, and both queues'
// messages arrive over SQS; the topic actions answer in SNS's shapes and
// codes; another tenant can neither subscribe the first tenant's queue
// nor publish to its topic.
func TestSNSTopicsFanOutToQueues(t *testing.T) {
	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	ctx := context.Background()
	q := sqsClient(p, p.SecretKey)
	s := snsClientFor(p, p.AccessKey, p.SecretKey)

	topic := mustOK(s.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("orders"),
		Attributes: map[string]string{"DisplayName": "Orders"}, Tags: []snstypes.Tag{{Key: aws.String("team"), Value: aws.String("shop")}}}))(t).TopicArn
	if *topic != "arn:aws:sns:"+p.Region+":"+p.AccountID+":orders" {
		t.Fatalf("topic ARN %s", *topic)
	}
	queue := func(name string) (url, arn string) {
		u := mustOK(q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)}))(t).QueueUrl
		a := mustOK(q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: u, AttributeNames: []sqstypes.QueueAttributeName{"QueueArn"}}))(t)
		return *u, a.Attributes["QueueArn"]
	}
	rawURL, rawARN := queue("raw")
	filtURL, filtARN := queue("filtered")
	rawSub := mustOK(s.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic, Protocol: aws.String("sqs"), Endpoint: aws.String(rawARN),
		Attributes: map[string]string{"RawMessageDelivery": "true"}, ReturnSubscriptionArn: true}))(t).SubscriptionArn
	filtSub := mustOK(s.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic, Protocol: aws.String("sqs"), Endpoint: aws.String(filtARN),
		Attributes: map[string]string{"FilterPolicy": `{"kind":["order"],"total":[{"numeric":[">=",10]}]}`}}))(t).SubscriptionArn

	attr := func(kind, total string) map[string]snstypes.MessageAttributeValue {
		return map[string]snstypes.MessageAttributeValue{
			"kind":  {DataType: aws.String("String"), StringValue: aws.String(kind)},
			"total": {DataType: aws.String("Number"), StringValue: aws.String(total)},
		}
	}
	first := mustOK(s.Publish(ctx, &sns.PublishInput{TopicArn: topic, Message: aws.String("big order"), Subject: aws.String("New"), MessageAttributes: attr("order", "25")}))(t)
	mustOK(s.Publish(ctx, &sns.PublishInput{TopicArn: topic, Message: aws.String("refund"), MessageAttributes: attr("refund", "25")}))(t)
	batch := mustOK(s.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: topic, PublishBatchRequestEntries: []snstypes.PublishBatchRequestEntry{
		{Id: aws.String("a"), Message: aws.String("small order"), MessageAttributes: attr("order", "3")},
		{Id: aws.String("b"), Message: aws.String("")},
	}}))(t)
	if len(batch.Successful) != 1 || len(batch.Failed) != 1 || *batch.Failed[0].Id != "b" || *batch.Failed[0].Code != "InvalidParameter" {
		t.Fatalf("batch %+v", batch)
	}

	receive := func(url string) []sqstypes.Message {
		var all []sqstypes.Message
		for {
			out := mustOK(q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, MessageAttributeNames: []string{"All"}}))(t)
			if len(out.Messages) == 0 {
				return all
			}
			all = append(all, out.Messages...)
		}
	}
	raw := receive(rawURL)
	var bodies []string
	for _, m := range raw {
		bodies = append(bodies, *m.Body)
		if *m.Body == "big order" && *m.MessageAttributes["kind"].StringValue != "order" {
			t.Fatalf("raw delivery attributes %v", m.MessageAttributes)
		}
	}
	sort.Strings(bodies)
	if len(bodies) != 3 || bodies[0] != "big order" || bodies[1] != "refund" || bodies[2] != "small order" {
		t.Fatalf("raw queue got %q", bodies)
	}
	filtered := receive(filtURL)
	if len(filtered) != 1 {
		t.Fatalf("filtered queue got %d messages, want 1", len(filtered))
	}
	var n struct {
		Type, MessageId, TopicArn, Subject, Message, Timestamp, SignatureVersion string
		MessageAttributes                                                        map[string]struct{ Type, Value string }
	}
	if err := json.Unmarshal([]byte(*filtered[0].Body), &n); err != nil {
		t.Fatalf("envelope %s: %v", *filtered[0].Body, err)
	}
	if n.Type != "Notification" || n.MessageId != *first.MessageId || n.TopicArn != *topic || n.Subject != "New" || n.Message != "big order" ||
		n.MessageAttributes["total"].Value != "25" || n.MessageAttributes["kind"].Type != "String" {
		t.Fatalf("envelope %+v", n)
	}

	// The other actions, through the SDK's own deserializers.
	ta := mustOK(s.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: topic}))(t).Attributes
	if ta["DisplayName"] != "Orders" || ta["SubscriptionsConfirmed"] != "2" || ta["Owner"] != p.AccountID {
		t.Fatalf("topic attributes %v", ta)
	}
	mustOK(s.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: topic, AttributeName: aws.String("DisplayName"), AttributeValue: aws.String("Shop")}))(t)
	if lt := mustOK(s.ListTopics(ctx, &sns.ListTopicsInput{}))(t); len(lt.Topics) != 1 || *lt.Topics[0].TopicArn != *topic {
		t.Fatalf("list topics %+v", lt.Topics)
	}
	subs := mustOK(s.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: topic}))(t).Subscriptions
	if len(subs) != 2 || *subs[0].Protocol != "sqs" {
		t.Fatalf("subscriptions %+v", subs)
	}
	if all := mustOK(s.ListSubscriptions(ctx, &sns.ListSubscriptionsInput{}))(t).Subscriptions; len(all) != 2 {
		t.Fatalf("all subscriptions %+v", all)
	}
	sa := mustOK(s.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: filtSub}))(t).Attributes
	if sa["FilterPolicyScope"] != "MessageAttributes" || sa["Endpoint"] != filtARN || sa["PendingConfirmation"] != "false" {
		t.Fatalf("subscription attributes %v", sa)
	}
	mustOK(s.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{SubscriptionArn: filtSub, AttributeName: aws.String("RawMessageDelivery"), AttributeValue: aws.String("true")}))(t)
	mustOK(s.TagResource(ctx, &sns.TagResourceInput{ResourceArn: topic, Tags: []snstypes.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}}))(t)
	mustOK(s.UntagResource(ctx, &sns.UntagResourceInput{ResourceArn: topic, TagKeys: []string{"team"}}))(t)
	if tags := mustOK(s.ListTagsForResource(ctx, &sns.ListTagsForResourceInput{ResourceArn: topic}))(t).Tags; len(tags) != 1 || *tags[0].Key != "env" {
		t.Fatalf("tags %+v", tags)
	}
	_, err := s.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic, Protocol: aws.String("sqs"), Endpoint: aws.String(filtARN),
		Attributes: map[string]string{"FilterPolicy": `{"kind":"not-an-array"}`}})
	wantCode(t, err, "InvalidParameter")
	_, err = s.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(*topic + "-missing")})
	var nf *snstypes.NotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("missing topic: %v", err)
	}

	// Tenant isolation.
	accountB, keyB, qb := newTenant(t, p, `{}`)
	sb := snsClientFor(p, keyB.AccessKeyID, keyB.SecretAccessKey)
	topicB := mustOK(sb.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("theirs")}))(t).TopicArn
	_, err = sb.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topicB, Protocol: aws.String("sqs"), Endpoint: aws.String(rawARN)})
	var ae *snstypes.AuthorizationErrorException
	if !errors.As(err, &ae) {
		t.Fatalf("B subscribing A's queue: %v", err)
	}
	_, err = sb.Publish(ctx, &sns.PublishInput{TopicArn: topic, Message: aws.String("from B")})
	if !errors.As(err, &ae) {
		t.Fatalf("B publishing to A's topic: %v", err)
	}
	if lt := mustOK(sb.ListTopics(ctx, &sns.ListTopicsInput{}))(t); len(lt.Topics) != 1 || *lt.Topics[0].TopicArn != "arn:aws:sns:"+p.Region+":"+accountB+":theirs" {
		t.Fatalf("B lists %+v", lt.Topics)
	}
	_ = qb
	if got := receive(rawURL); len(got) != 0 {
		t.Fatalf("A's queue got %d messages from B's attempts", len(got))
	}

	mustOK(s.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: rawSub}))(t)
	mustOK(s.Publish(ctx, &sns.PublishInput{TopicArn: topic, Message: aws.String("after"), MessageAttributes: attr("order", "50")}))(t)
	if got := receive(rawURL); len(got) != 0 {
		t.Fatalf("unsubscribed queue got %d", len(got))
	}
	if got := receive(filtURL); len(got) != 1 || *got[0].Body != "after" {
		t.Fatalf("filtered queue (raw now) got %v", got)
	}
	mustOK(s.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: topic}))(t)
	_, err = s.Publish(ctx, &sns.PublishInput{TopicArn: topic, Message: aws.String("gone")})
	if !errors.As(err, &nf) {
		t.Fatalf("publish to a deleted topic: %v", err)
	}
}

// TestSNSFIFOTopic: a FIFO topic delivers to two FIFO queues in group
// order; a duplicate publish (content-based deduplication) adds nothing.
func TestSNSFIFOTopic(t *testing.T) {
	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	ctx := context.Background()
	q := sqsClient(p, p.SecretKey)
	s := snsClientFor(p, p.AccessKey, p.SecretKey)
	topic := mustOK(s.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("events.fifo"),
		Attributes: map[string]string{"FifoTopic": "true", "ContentBasedDeduplication": "true"}}))(t).TopicArn
	var urls []string
	for _, name := range []string{"one.fifo", "two.fifo"} {
		u := mustOK(q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: map[string]string{"FifoQueue": "true"}}))(t).QueueUrl
		a := mustOK(q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: u, AttributeNames: []sqstypes.QueueAttributeName{"QueueArn"}}))(t)
		mustOK(s.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic, Protocol: aws.String("sqs"), Endpoint: aws.String(a.Attributes["QueueArn"]),
			Attributes: map[string]string{"RawMessageDelivery": "true"}}))(t)
		urls = append(urls, *u)
	}
	for _, body := range []string{"a", "b", "c", "b"} {
		mustOK(s.Publish(ctx, &sns.PublishInput{TopicArn: topic, Message: aws.String(body), MessageGroupId: aws.String("g")}))(t)
	}
	_, err := s.Publish(ctx, &sns.PublishInput{TopicArn: topic, Message: aws.String("no group")})
	wantCode(t, err, "InvalidParameter")
	for _, u := range urls {
		out := mustOK(q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(u), MaxNumberOfMessages: 10,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{"MessageGroupId"}}))(t)
		var got []string
		for _, m := range out.Messages {
			got = append(got, *m.Body)
			if m.Attributes["MessageGroupId"] != "g" {
				t.Fatalf("group %v", m.Attributes)
			}
		}
		if len(got) != 3 || got[0] != "a" || got[1] != "b" || got[2] != "c" {
			t.Fatalf("%s got %q", u, got)
		}
	}
}
