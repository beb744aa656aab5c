package e2e

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sluice-mq/sluice/e2e/internal/sluiceproc"
)

// snsQueue creates a queue and returns its URL and ARN.
func snsQueue(t *testing.T, q *sqs.Client, name string, attrs map[string]string) (url, arn string) {
	t.Helper()
	ctx := context.Background()
	u := mustOK(q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs}))(t).QueueUrl
	a := mustOK(q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: u, AttributeNames: []sqstypes.QueueAttributeName{"QueueArn"}}))(t)
	return *u, a.Attributes["QueueArn"]
}

// drainBodies receives and deletes everything a queue holds, in order.
func drainBodies(t *testing.T, q *sqs.Client, url string) []string {
	t.Helper()
	ctx := context.Background()
	var bodies []string
	for {
		out := mustOK(q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10}))(t)
		if len(out.Messages) == 0 {
			return bodies
		}
		for _, m := range out.Messages {
			bodies = append(bodies, *m.Body)
			mustOK(q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}))(t)
		}
	}
}

// cmqAttrs is a message's attributes: a kind, CMQ tags and a routing key
// (each left out when empty).
func cmqAttrs(kind, routingKey string, tags ...string) map[string]snstypes.MessageAttributeValue {
	out := map[string]snstypes.MessageAttributeValue{}
	if kind != "" {
		out["kind"] = snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(kind)}
	}
	if routingKey != "" {
		out["sluice.routingKey"] = snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(routingKey)}
	}
	if len(tags) > 0 {
		out["sluice.tags"] = snstypes.MessageAttributeValue{DataType: aws.String("String.Array"), StringValue: aws.String(`["` + strings.Join(tags, `","`) + `"]`)}
	}
	return out
}

// TestSNSFilterPolicyTagsAndBindingKeys: aws-sdk-go-v2's SNS client
// against `sluice dev` fans out to 3 queues, one filtering with a filter
// policy, one with CMQ tags, one with binding keys (and a fourth with all
// three); each queue gets exactly the matching messages, and bad tags and
// keys are refused with SNS's InvalidParameter.
func TestSNSFilterPolicyTagsAndBindingKeys(t *testing.T) {
	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	ctx := context.Background()
	q := sqsClient(p, p.SecretKey)
	s := snsClientFor(p, p.AccessKey, p.SecretKey)
	topic := mustOK(s.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("cmq")}))(t).TopicArn

	subs := map[string]map[string]string{
		"by-policy": {"FilterPolicy": `{"kind":["order","refund"]}`},
		"by-tags":   {"FilterTags": `["red","blue"]`},
		"by-keys":   {"BindingKeys": `["order.*.created","#.refund"]`},
		"by-all":    {"FilterPolicy": `{"kind":["order"]}`, "FilterTags": `["red"]`, "BindingKeys": `["order.#"]`},
	}
	urls := map[string]string{}
	for name, attrs := range subs {
		url, arn := snsQueue(t, q, name, nil)
		urls[name] = url
		attrs["RawMessageDelivery"] = "true"
		mustOK(s.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic, Protocol: aws.String("sqs"), Endpoint: aws.String(arn), Attributes: attrs}))(t)
	}

	mustOK(s.Publish(ctx, &sns.PublishInput{TopicArn: topic, Message: aws.String("m1"), MessageAttributes: cmqAttrs("order", "order.eu.created", "red")}))(t)
	mustOK(s.Publish(ctx, &sns.PublishInput{TopicArn: topic, Message: aws.String("m2"), MessageAttributes: cmqAttrs("refund", "shop.refund")}))(t)
	mustOK(s.Publish(ctx, &sns.PublishInput{TopicArn: topic, Message: aws.String("m3"), MessageAttributes: cmqAttrs("", "", "blue", "green")}))(t)
	batch := mustOK(s.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: topic, PublishBatchRequestEntries: []snstypes.PublishBatchRequestEntry{
		{Id: aws.String("a"), Message: aws.String("m4"), MessageAttributes: cmqAttrs("order", "order", "red")},         // policy, tags, all ("order.#")
		{Id: aws.String("b"), Message: aws.String("m5"), MessageAttributes: cmqAttrs("other", "order.us.created")},     // keys
		{Id: aws.String("c"), Message: aws.String("m6"), MessageAttributes: cmqAttrs("other", "nothing.here", "pink")}, // none
		{Id: aws.String("d"), Message: aws.String("bad"), MessageAttributes: cmqAttrs("", "order.*")},                  // refused
		{Id: aws.String("e"), Message: aws.String("bad"), MessageAttributes: cmqAttrs("", "", "1", "2", "3", "4", "5", "6")},
	}}))(t)
	if len(batch.Successful) != 3 || len(batch.Failed) != 2 || *batch.Failed[0].Code != "InvalidParameter" || *batch.Failed[1].Code != "InvalidParameter" {
		t.Fatalf("batch: %d successful, failed %+v", len(batch.Successful), batch.Failed)
	}
	want := map[string][]string{
		"by-policy": {"m1", "m2", "m4"},
		"by-tags":   {"m1", "m3", "m4"},
		"by-keys":   {"m1", "m2", "m5"},
		"by-all":    {"m1", "m4"},
	}
	for name, url := range urls {
		got := drainBodies(t, q, url)
		sort.Strings(got)
		if !slices.Equal(got, want[name]) {
			t.Errorf("queue %s got %v, want %v", name, got, want[name])
		}
	}

	// Refusals, with SNS's code through the SDK.
	_, arn := snsQueue(t, q, "spare", nil)
	for _, attrs := range []map[string]string{
		{"FilterTags": `["1","2","3","4","5","6"]`},
		{"BindingKeys": `["a..b"]`},
		{"BindingKeys": `["` + strings.Repeat("a", 65) + `"]`},
		{"BindingKeys": `"not an array"`},
	} {
		_, err := s.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic, Protocol: aws.String("sqs"), Endpoint: aws.String(arn), Attributes: attrs})
		wantCode(t, err, "InvalidParameter")
	}
	_, err := s.Publish(ctx, &sns.PublishInput{TopicArn: topic, Message: aws.String("x"), MessageAttributes: map[string]snstypes.MessageAttributeValue{
		"sluice.tags": {DataType: aws.String("String"), StringValue: aws.String("red")}}})
	wantCode(t, err, "InvalidParameter")
	// The attributes read back in canonical form.
	all := mustOK(s.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: topic}))(t).Subscriptions
	found := false
	for _, sub := range all {
		a := mustOK(s.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: sub.SubscriptionArn}))(t).Attributes
		if a["BindingKeys"] == `["order.*.created","#.refund"]` {
			found = true
			mustOK(s.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{SubscriptionArn: sub.SubscriptionArn,
				AttributeName: aws.String("BindingKeys"), AttributeValue: aws.String(`["#"]`)}))(t)
		}
	}
	if !found {
		t.Fatal("no subscription reads back its BindingKeys")
	}
	mustOK(s.Publish(ctx, &sns.PublishInput{TopicArn: topic, Message: aws.String("m7")}))(t) // no routing key: "#" takes it
	if got := drainBodies(t, q, urls["by-keys"]); !slices.Equal(got, []string{"m7"}) {
		t.Fatalf("after BindingKeys [\"#\"]: %v", got)
	}
}

// TestSNSFIFOTopicDeduplicates: a FIFO topic answers a duplicate with the
// first message's MessageId and SequenceNumber and delivers it nowhere;
// its FIFO queues get each message once, in group order.
func TestSNSFIFOTopicDeduplicates(t *testing.T) {
	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	ctx := context.Background()
	q := sqsClient(p, p.SecretKey)
	s := snsClientFor(p, p.AccessKey, p.SecretKey)
	topic := mustOK(s.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("events.fifo"),
		Attributes: map[string]string{"FifoTopic": "true", "ContentBasedDeduplication": "true"}}))(t).TopicArn
	fifo := map[string]string{"FifoQueue": "true"}
	urlA, arnA := snsQueue(t, q, "a.fifo", fifo)
	urlB, arnB := snsQueue(t, q, "b.fifo", fifo)
	for _, arn := range []string{arnA, arnB} {
		mustOK(s.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic, Protocol: aws.String("sqs"), Endpoint: aws.String(arn),
			Attributes: map[string]string{"RawMessageDelivery": "true"}}))(t)
	}
	_, stdARN := snsQueue(t, q, "std", nil)
	_, err := s.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic, Protocol: aws.String("sqs"), Endpoint: aws.String(stdARN)})
	wantCode(t, err, "InvalidParameter")

	type pub struct{ id, seq string }
	publish := func(body, group, dedup string) pub {
		in := &sns.PublishInput{TopicArn: topic, Message: aws.String(body), MessageGroupId: aws.String(group)}
		if dedup != "" {
			in.MessageDeduplicationId = aws.String(dedup)
		}
		out := mustOK(s.Publish(ctx, in))(t)
		if out.SequenceNumber == nil || len(*out.SequenceNumber) != 20 {
			t.Fatalf("publish %s: sequence number %v", body, out.SequenceNumber)
		}
		return pub{*out.MessageId, *out.SequenceNumber}
	}
	var order []pub
	for i := 0; i < 6; i++ {
		order = append(order, publish(fmt.Sprint("g1-", i), "g1", ""))
		publish(fmt.Sprint("g2-", i), "g2", fmt.Sprint("id-", i))
	}
	for i := 1; i < len(order); i++ {
		if order[i].seq <= order[i-1].seq {
			t.Fatalf("sequence numbers %v do not grow in the group", order)
		}
	}
	// Duplicates: by content, and by explicit id with another body.
	if d := publish("g1-2", "g1", ""); d != order[2] {
		t.Fatalf("content duplicate answered %+v, want %+v", d, order[2])
	}
	dupID := publish("another body", "g2", "id-3")
	batch := mustOK(s.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: topic, PublishBatchRequestEntries: []snstypes.PublishBatchRequestEntry{
		{Id: aws.String("a"), Message: aws.String("g1-0"), MessageGroupId: aws.String("g1")},
		{Id: aws.String("b"), Message: aws.String("g1-6"), MessageGroupId: aws.String("g1")},
	}}))(t)
	if len(batch.Successful) != 2 || *batch.Successful[0].MessageId != order[0].id || *batch.Successful[0].SequenceNumber != order[0].seq ||
		*batch.Successful[1].SequenceNumber <= order[5].seq {
		t.Fatalf("batch %+v", batch.Successful)
	}
	for _, url := range []string{urlA, urlB} {
		var g1, g2 []string
		for _, b := range drainBodies(t, q, url) {
			if strings.HasPrefix(b, "g1") {
				g1 = append(g1, b)
			} else {
				g2 = append(g2, b)
			}
		}
		if fmt.Sprint(g1) != "[g1-0 g1-1 g1-2 g1-3 g1-4 g1-5 g1-6]" || fmt.Sprint(g2) != "[g2-0 g2-1 g2-2 g2-3 g2-4 g2-5]" {
			t.Errorf("queue %s: group g1 %v, g2 %v (duplicate %+v)", url, g1, g2, dupID)
		}
	}
}

// TestBoto3SNSFiltersAndFIFOTopic is the fan-out with a filter policy,
// tags and binding keys, and a FIFO topic's deduplication, through boto3.
func TestBoto3SNSFiltersAndFIFOTopic(t *testing.T) {
	python := requireBoto3(t)
	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	script := `
import os, json, boto3, botocore
ep = os.environ["SLUICE_ENDPOINT"]
sqs = boto3.client("sqs", endpoint_url=ep)
sns = boto3.client("sns", endpoint_url=ep)

def queue(name, attrs=None):
    url = sqs.create_queue(QueueName=name, Attributes=attrs or {})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn

def drain(url):
    out = []
    while True:
        msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not msgs:
            return out
        for m in msgs:
            out.append(m["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])

def attrs(kind=None, rk=None, tags=None):
    a = {}
    if kind: a["kind"] = {"DataType": "String", "StringValue": kind}
    if rk: a["sluice.routingKey"] = {"DataType": "String", "StringValue": rk}
    if tags: a["sluice.tags"] = {"DataType": "String.Array", "StringValue": json.dumps(tags)}
    return a

topic = sns.create_topic(Name="boto-cmq")["TopicArn"]
filters = {
    "policy": {"FilterPolicy": json.dumps({"kind": ["order"]})},
    "tags": {"FilterTags": json.dumps(["red"])},
    "keys": {"BindingKeys": json.dumps(["a.*", "#.z"])},
}
urls = {}
for name, f in filters.items():
    url, arn = queue("boto-" + name)
    urls[name] = url
    f["RawMessageDelivery"] = "true"
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes=f)

sns.publish(TopicArn=topic, Message="m1", MessageAttributes=attrs("order", "a.b", ["red"]))
sns.publish(TopicArn=topic, Message="m2", MessageAttributes=attrs("order", "a.b.c"))
sns.publish(TopicArn=topic, Message="m3", MessageAttributes=attrs(None, "x.y.z", ["blue", "red"]))
sns.publish(TopicArn=topic, Message="m4", MessageAttributes=attrs("other", "a"))
got = {n: sorted(drain(u)) for n, u in urls.items()}
assert got == {"policy": ["m1", "m2"], "tags": ["m1", "m3"], "keys": ["m1", "m3"]}, got

try:
    sns.publish(TopicArn=topic, Message="x", MessageAttributes=attrs(None, "a..b"))
    raise SystemExit("a bad routing key was accepted")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "InvalidParameter", e.response
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400, e.response

fifo = sns.create_topic(Name="boto.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
furl, farn = queue("boto-q.fifo", {"FifoQueue": "true"})
sns.subscribe(TopicArn=fifo, Protocol="sqs", Endpoint=farn, Attributes={"RawMessageDelivery": "true"})
first = sns.publish(TopicArn=fifo, Message="one", MessageGroupId="g", MessageDeduplicationId="d1")
second = sns.publish(TopicArn=fifo, Message="two", MessageGroupId="g", MessageDeduplicationId="d2")
dup = sns.publish(TopicArn=fifo, Message="one again", MessageGroupId="g", MessageDeduplicationId="d1")
assert dup["MessageId"] == first["MessageId"] and dup["SequenceNumber"] == first["SequenceNumber"], (first, dup)
assert int(second["SequenceNumber"]) > int(first["SequenceNumber"]), (first, second)
assert drain(furl) == ["one", "two"]
print("ok")
`
	out, errOut, err := runTool(t, clientEnv(t, p), "", python, "-c", script)
	if err != nil || !strings.HasPrefix(out, "ok") {
		t.Fatalf("boto3: %v\n%s%s", err, out, errOut)
	}
}
