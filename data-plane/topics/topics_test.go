package topics_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/msgattr"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/data-plane/topics"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

var ctx = context.Background()

const account, region = "111122223333", "us-east-1"

type env struct {
	cat   *topics.Catalog
	eng   *engine.Engine
	store kv.Store
}

// forEachDriver runs test on both kv drivers with a topic catalog and a
// queue engine over the same store.
func forEachDriver(t *testing.T, test func(t *testing.T, e env)) {
	kvtest.ForEachDriver(t, func(t *testing.T, s kv.Store) {
		eng, err := engine.New(s, engine.Options{ReceiptKey: []byte("0123456789abcdef0123456789abcdef"), PollInterval: 20 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = eng.Close() })
		test(t, env{cat: topics.New(s, topics.Options{MaxSubscriptionsPerTopic: 3}), eng: eng, store: s})
	})
}

func tref(name string) topics.Ref { return topics.Ref{Account: account, Region: region, Name: name} }

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	var e *sqserr.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("want error %s, got %v", code, err)
	}
}

func mustQueue(t testing.TB, e env, name string) queues.Ref {
	t.Helper()
	r := queues.Ref{Account: account, Region: region, Name: name}
	if _, err := e.eng.Catalog().Create(ctx, r, nil, nil); err != nil {
		t.Fatal(err)
	}
	return r
}

func receiveAll(t testing.TB, e env, q queues.Ref) []engine.Message {
	t.Helper()
	zero := 0
	var all []engine.Message
	for {
		msgs, err := e.eng.ReceiveMessage(ctx, q, engine.ReceiveInput{MaxNumberOfMessages: 10, WaitTimeSeconds: &zero, MessageAttributeNames: []string{"All"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 0 {
			return all
		}
		all = append(all, msgs...)
	}
}

func TestTopicLifecycle(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e env) {
		admitTwo := func(n int64) error {
			if n >= 2 {
				return sqserr.Errorf(topics.CodeTopicLimitExceeded, "Topic limit exceeded")
			}
			return nil
		}
		tp, err := e.cat.Create(ctx, tref("orders"), map[string]string{"DisplayName": "Orders"}, map[string]string{"team": "a"}, admitTwo)
		if err != nil {
			t.Fatal(err)
		}
		if tp.Ref.ARN() != "arn:aws:sns:us-east-1:111122223333:orders" {
			t.Fatalf("arn %s", tp.Ref.ARN())
		}
		// Idempotent with the same attributes, refused with others.
		if _, err := e.cat.Create(ctx, tref("orders"), map[string]string{"DisplayName": "Orders"}, nil, admitTwo); err != nil {
			t.Fatal(err)
		}
		_, err = e.cat.Create(ctx, tref("orders"), map[string]string{"DisplayName": "Other"}, nil, admitTwo)
		wantCode(t, err, topics.CodeInvalidParameter)
		for _, bad := range []string{"", "a b", "x.fifo", string(make([]byte, 257))} {
			attrs := map[string]string(nil)
			if bad == "x.fifo" {
				attrs = map[string]string{"FifoTopic": "false"}
			}
			_, err := e.cat.Create(ctx, tref(bad), attrs, nil, nil)
			wantCode(t, err, topics.CodeInvalidParameter)
		}
		_, err = e.cat.Create(ctx, tref("plain"), map[string]string{"FifoTopic": "true"}, nil, nil)
		wantCode(t, err, topics.CodeInvalidParameter)
		_, err = e.cat.Create(ctx, tref("x"), map[string]string{"Nope": "1"}, nil, nil)
		wantCode(t, err, topics.CodeInvalidParameter)
		if _, err := e.cat.Create(ctx, tref("second.fifo"), map[string]string{"FifoTopic": "true"}, nil, admitTwo); err != nil {
			t.Fatal(err)
		}
		_, err = e.cat.Create(ctx, tref("third"), nil, nil, admitTwo)
		wantCode(t, err, topics.CodeTopicLimitExceeded)

		// Attributes.
		if err := e.cat.SetAttribute(ctx, tref("orders"), "DisplayName", "Shop"); err != nil {
			t.Fatal(err)
		}
		wantCode(t, e.cat.SetAttribute(ctx, tref("orders"), "FifoTopic", "true"), topics.CodeInvalidParameter)
		wantCode(t, e.cat.SetAttribute(ctx, tref("orders"), "SignatureVersion", "3"), topics.CodeInvalidParameter)
		wantCode(t, e.cat.SetAttribute(ctx, tref("missing"), "DisplayName", "x"), topics.CodeNotFound)
		attrs, err := e.cat.TopicAttributes(ctx, tref("orders"))
		if err != nil {
			t.Fatal(err)
		}
		if attrs["DisplayName"] != "Shop" || attrs["TopicArn"] != tref("orders").ARN() || attrs["Owner"] != account || attrs["SubscriptionsConfirmed"] != "0" || !json.Valid([]byte(attrs["Policy"])) {
			t.Fatalf("attributes %v", attrs)
		}
		if fa, _ := e.cat.TopicAttributes(ctx, tref("second.fifo")); fa["FifoTopic"] != "true" {
			t.Fatalf("fifo attributes %v", fa)
		}

		// Tags.
		if err := e.cat.Tag(ctx, tref("orders"), map[string]string{"env": "prod"}); err != nil {
			t.Fatal(err)
		}
		if err := e.cat.Untag(ctx, tref("orders"), []string{"team", "absent"}); err != nil {
			t.Fatal(err)
		}
		tags, err := e.cat.Tags(ctx, tref("orders"))
		if err != nil || len(tags) != 1 || tags["env"] != "prod" {
			t.Fatalf("tags %v %v", tags, err)
		}
		many := map[string]string{}
		for i := range 50 {
			many[fmt.Sprint("k", i)] = "v"
		}
		wantCode(t, e.cat.Tag(ctx, tref("orders"), many), topics.CodeTagLimitExceeded)
		wantCode(t, e.cat.Tag(ctx, tref("missing"), map[string]string{"a": "b"}), topics.CodeResourceNotFound)

		// Listing is per account and region.
		other := topics.Ref{Account: "444455556666", Region: region, Name: "theirs"}
		if _, err := e.cat.Create(ctx, other, nil, nil, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := e.cat.Create(ctx, topics.Ref{Account: account, Region: "eu-west-1", Name: "far"}, nil, nil, nil); err != nil {
			t.Fatal(err)
		}
		list, next, err := e.cat.List(ctx, account, region, "")
		if err != nil || next != "" || len(list) != 2 || list[0].Name != "orders" || list[1].Name != "second.fifo" {
			t.Fatalf("list %v %q %v", list, next, err)
		}
		if n, _ := e.cat.Count(ctx, account); n != 3 {
			t.Fatalf("count %d", n)
		}

		// Delete removes subscriptions too, and is idempotent.
		q := mustQueue(t, e, "q1")
		sub, err := e.cat.Subscribe(ctx, tref("orders"), "sqs", q.ARN(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.cat.Delete(ctx, tref("orders")); err != nil {
			t.Fatal(err)
		}
		if err := e.cat.Delete(ctx, tref("orders")); err != nil {
			t.Fatal(err)
		}
		_, err = e.cat.GetSubscription(ctx, sub.Ref)
		wantCode(t, err, topics.CodeNotFound)
		if n, _ := e.cat.Count(ctx, account); n != 2 {
			t.Fatalf("count after delete %d", n)
		}
	})
}

func TestSubscriptions(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e env) {
		if _, err := e.cat.Create(ctx, tref("t"), nil, nil, nil); err != nil {
			t.Fatal(err)
		}
		q1, q2 := mustQueue(t, e, "q1"), mustQueue(t, e, "q2")
		s1, err := e.cat.Subscribe(ctx, tref("t"), "sqs", q1.ARN(), map[string]string{"RawMessageDelivery": "True"})
		if err != nil {
			t.Fatal(err)
		}
		arn := s1.Ref.ARN()
		if ref, err := topics.ParseSubscriptionARN(arn); err != nil || ref != s1.Ref {
			t.Fatalf("parse %s: %v %v", arn, ref, err)
		}
		// The same endpoint again: the same subscription.
		again, err := e.cat.Subscribe(ctx, tref("t"), "sqs", q1.ARN(), map[string]string{"RawMessageDelivery": "true"})
		if err != nil || again.Ref != s1.Ref {
			t.Fatalf("resubscribe %v %v", again, err)
		}
		_, err = e.cat.Subscribe(ctx, tref("t"), "sqs", q1.ARN(), map[string]string{"RawMessageDelivery": "false"})
		wantCode(t, err, topics.CodeInvalidParameter)
		// Another tenant's queue, a bad ARN, an unserved protocol, a
		// FIFO queue, a bad filter, a missing topic.
		_, err = e.cat.Subscribe(ctx, tref("t"), "sqs", "arn:aws:sqs:us-east-1:444455556666:theirs", nil)
		wantCode(t, err, topics.CodeAuthorizationError)
		_, err = e.cat.Subscribe(ctx, tref("t"), "sqs", "not-an-arn", nil)
		wantCode(t, err, topics.CodeInvalidParameter)
		_, err = e.cat.Subscribe(ctx, tref("t"), "https", "https://example.com/hook", nil)
		wantCode(t, err, topics.CodeInvalidParameter)
		_, err = e.cat.Subscribe(ctx, tref("t"), "sqs", "arn:aws:sqs:us-east-1:111122223333:q.fifo", nil)
		wantCode(t, err, topics.CodeInvalidParameter)
		_, err = e.cat.Subscribe(ctx, tref("t"), "sqs", q2.ARN(), map[string]string{"FilterPolicy": `{"a":"b"}`})
		wantCode(t, err, topics.CodeInvalidParameter)
		_, err = e.cat.Subscribe(ctx, tref("t"), "sqs", q2.ARN(), map[string]string{"Bogus": "1"})
		wantCode(t, err, topics.CodeInvalidParameter)
		_, err = e.cat.Subscribe(ctx, tref("nope"), "sqs", q2.ARN(), nil)
		wantCode(t, err, topics.CodeNotFound)

		s2, err := e.cat.Subscribe(ctx, tref("t"), "sqs", q2.ARN(), map[string]string{"FilterPolicy": `{"kind":["a"]}`})
		if err != nil {
			t.Fatal(err)
		}
		attrs, err := e.cat.SubscriptionAttributes(ctx, s2.Ref)
		if err != nil || attrs["FilterPolicyScope"] != "MessageAttributes" || attrs["RawMessageDelivery"] != "false" || attrs["Endpoint"] != q2.ARN() || attrs["PendingConfirmation"] != "false" {
			t.Fatalf("attributes %v %v", attrs, err)
		}
		if err := e.cat.SetSubscriptionAttribute(ctx, s2.Ref, "FilterPolicyScope", "MessageBody"); err != nil {
			t.Fatal(err)
		}
		wantCode(t, e.cat.SetSubscriptionAttribute(ctx, s2.Ref, "FilterPolicy", `{"a":[]}`), topics.CodeInvalidParameter)
		wantCode(t, e.cat.SetSubscriptionAttribute(ctx, s2.Ref, "Protocol", "http"), topics.CodeInvalidParameter)
		if err := e.cat.SetSubscriptionAttribute(ctx, s2.Ref, "FilterPolicy", ""); err != nil {
			t.Fatal(err)
		}

		// The subscription limit (3 in these tests).
		q3, q4 := mustQueue(t, e, "q3"), mustQueue(t, e, "q4")
		if _, err := e.cat.Subscribe(ctx, tref("t"), "sqs", q3.ARN(), nil); err != nil {
			t.Fatal(err)
		}
		_, err = e.cat.Subscribe(ctx, tref("t"), "sqs", q4.ARN(), nil)
		wantCode(t, err, topics.CodeSubscriptionLimitExceeded)

		// Lists: by topic, and every topic of the region.
		if _, err := e.cat.Create(ctx, tref("u"), nil, nil, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := e.cat.Subscribe(ctx, tref("u"), "sqs", q4.ARN(), nil); err != nil {
			t.Fatal(err)
		}
		byTopic, _, err := e.cat.ListSubscriptions(ctx, account, region, &topics.Ref{Account: account, Region: region, Name: "t"}, "")
		if err != nil || len(byTopic) != 3 {
			t.Fatalf("by topic %d %v", len(byTopic), err)
		}
		all, _, err := e.cat.ListSubscriptions(ctx, account, region, nil, "")
		if err != nil || len(all) != 4 {
			t.Fatalf("all %d %v", len(all), err)
		}
		rest, _, err := e.cat.ListSubscriptions(ctx, account, region, nil, all[1].Ref.ARN())
		if err != nil || len(rest) != 2 || rest[0].Ref != all[2].Ref {
			t.Fatalf("after %v: %v %v", all[1].Ref, rest, err)
		}
		_, _, err = e.cat.ListSubscriptions(ctx, account, region, &topics.Ref{Account: account, Region: region, Name: "none"}, "")
		wantCode(t, err, topics.CodeNotFound)

		if err := e.cat.Unsubscribe(ctx, s1.Ref); err != nil {
			t.Fatal(err)
		}
		wantCode(t, e.cat.Unsubscribe(ctx, s1.Ref), topics.CodeNotFound)
	})
}

func TestListTopicsPages(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e env) {
		for i := range 105 {
			if _, err := e.cat.Create(ctx, tref(fmt.Sprintf("t%03d", i)), nil, nil, nil); err != nil {
				t.Fatal(err)
			}
		}
		page, next, err := e.cat.List(ctx, account, region, "")
		if err != nil || len(page) != 100 || next != "t099" {
			t.Fatalf("first page %d %q %v", len(page), next, err)
		}
		page, next, err = e.cat.List(ctx, account, region, next)
		if err != nil || len(page) != 5 || next != "" || page[0].Name != "t100" {
			t.Fatalf("second page %v %q %v", page, next, err)
		}
	})
}

func TestPublishFansOutInOneTransaction(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e env) {
		if _, err := e.cat.Create(ctx, tref("t"), nil, nil, nil); err != nil {
			t.Fatal(err)
		}
		raw, env1, filtered, gone := mustQueue(t, e, "raw"), mustQueue(t, e, "env"), mustQueue(t, e, "filtered"), mustQueue(t, e, "gone")
		subscribe := func(q queues.Ref, attrs map[string]string) {
			if _, err := e.cat.Subscribe(ctx, tref("t"), "sqs", q.ARN(), attrs); err != nil {
				t.Fatal(err)
			}
		}
		big := topics.New(e.store, topics.Options{})
		subscribe(raw, map[string]string{"RawMessageDelivery": "true"})
		subscribe(env1, nil)
		subscribe(filtered, map[string]string{"FilterPolicy": `{"kind":["order"],"total":[{"numeric":[">",10]}]}`})
		if _, err := big.Subscribe(ctx, tref("t"), "sqs", gone.ARN(), nil); err != nil {
			t.Fatal(err)
		}
		if err := e.eng.DeleteQueue(ctx, gone); err != nil {
			t.Fatal(err)
		}

		attrs := msgattr.Attributes{
			"kind":  {DataType: "String", StringValue: "order"},
			"total": {DataType: "Number", StringValue: "12"},
		}
		res, err := e.cat.Publish(ctx, e.eng, tref("t"), topics.Message{Body: "hello", Subject: "Hi", Attributes: attrs})
		if err != nil {
			t.Fatal(err)
		}
		if res.Delivered != 3 || res.MessageID == "" {
			t.Fatalf("publish %+v", res)
		}
		// Does not pass the filter: reaches raw and env only.
		if _, err := e.cat.Publish(ctx, e.eng, tref("t"), topics.Message{Body: "small", Attributes: msgattr.Attributes{
			"kind": {DataType: "String", StringValue: "order"}, "total": {DataType: "Number", StringValue: "3"}}}); err != nil {
			t.Fatal(err)
		}

		got := receiveAll(t, e, raw)
		bodies := []string{}
		for _, m := range got {
			bodies = append(bodies, m.Body)
		}
		sort.Strings(bodies)
		if len(got) != 2 || bodies[0] != "hello" || bodies[1] != "small" {
			t.Fatalf("raw queue got %v", bodies)
		}
		for _, m := range got {
			if m.Body == "hello" && m.MessageAttributes["kind"].StringValue != "order" {
				t.Fatalf("raw delivery lost attributes: %v", m.MessageAttributes)
			}
		}
		envs := receiveAll(t, e, env1)
		if len(envs) != 2 {
			t.Fatalf("envelope queue got %d", len(envs))
		}
		var n struct {
			Type, MessageId, TopicArn, Subject, Message, Timestamp, SignatureVersion string
			MessageAttributes                                                        map[string]struct{ Type, Value string }
		}
		for _, m := range envs {
			if err := json.Unmarshal([]byte(m.Body), &n); err != nil {
				t.Fatalf("envelope %q: %v", m.Body, err)
			}
			if len(m.MessageAttributes) != 0 {
				t.Fatalf("enveloped delivery carries queue attributes %v", m.MessageAttributes)
			}
			if n.Message == "hello" {
				break
			}
		}
		if n.Type != "Notification" || n.MessageId != res.MessageID || n.TopicArn != tref("t").ARN() || n.Subject != "Hi" ||
			n.SignatureVersion != "1" || n.MessageAttributes["total"].Type != "Number" || n.MessageAttributes["total"].Value != "12" {
			t.Fatalf("envelope %+v", n)
		}
		if _, err := time.Parse("2006-01-02T15:04:05.000Z", n.Timestamp); err != nil {
			t.Fatalf("timestamp %q", n.Timestamp)
		}
		if f := receiveAll(t, e, filtered); len(f) != 1 {
			t.Fatalf("filtered queue got %d, want 1", len(f))
		}

		// A queue that refuses the message fails the whole publish: no
		// queue gets it.
		if err := e.eng.Catalog().SetAttributes(ctx, env1, map[string]string{"MaximumMessageSize": "1024"}); err != nil {
			t.Fatal(err)
		}
		_, err = e.cat.Publish(ctx, e.eng, tref("t"), topics.Message{Body: strings.Repeat("x", 2000)})
		wantCode(t, err, topics.CodeInvalidParameter)
		if got := receiveAll(t, e, raw); len(got) != 0 {
			t.Fatalf("a failed publish reached another queue: %d messages", len(got))
		}

		// A queue whose policy denies the topic gets nothing; the others do.
		deny := `{"Statement":[{"Effect":"Deny","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Condition":{"ArnEquals":{"aws:SourceArn":"` + tref("t").ARN() + `"}}}]}`
		if err := e.eng.Catalog().SetAttributes(ctx, env1, map[string]string{"MaximumMessageSize": "262144", "Policy": deny}); err != nil {
			t.Fatal(err)
		}
		res, err = e.cat.Publish(ctx, e.eng, tref("t"), topics.Message{Body: "denied"})
		if err != nil || res.Delivered != 1 {
			t.Fatalf("publish past a denying policy: %+v %v", res, err)
		}
		if got := receiveAll(t, e, env1); len(got) != 0 {
			t.Fatalf("the denying queue got %d", len(got))
		}
		if got := receiveAll(t, e, raw); len(got) != 1 {
			t.Fatalf("raw got %d", len(got))
		}
		if err := e.eng.Catalog().SetAttributes(ctx, env1, map[string]string{"Policy": ""}); err != nil {
			t.Fatal(err)
		}

		// Errors.
		_, err = e.cat.Publish(ctx, e.eng, tref("missing"), topics.Message{Body: "x"})
		wantCode(t, err, topics.CodeNotFound)
		_, err = e.cat.Publish(ctx, e.eng, tref("t"), topics.Message{})
		wantCode(t, err, topics.CodeInvalidParameter)
		_, err = e.cat.Publish(ctx, e.eng, tref("t"), topics.Message{Body: "x", Attributes: msgattr.Attributes{"a": {DataType: "Weird", StringValue: "1"}}})
		wantCode(t, err, topics.CodeInvalidParameterValue)
		_, err = e.cat.Publish(ctx, e.eng, tref("t"), topics.Message{Body: strings.Repeat("x", topics.MaxMessageBytes+1)})
		wantCode(t, err, topics.CodeInvalidParameter)

		// A batch: a bad entry fails alone.
		out, err := e.cat.PublishBatch(ctx, e.eng, tref("t"), []topics.Message{{Body: "b1"}, {}, {Body: "b3"}})
		if err != nil {
			t.Fatal(err)
		}
		if out[0].Err != nil || out[1].Err == nil || out[2].Err != nil || out[0].Result.Delivered != 2 {
			t.Fatalf("batch %+v", out)
		}
		if got := receiveAll(t, e, raw); len(got) != 2 {
			t.Fatalf("raw got %d from the batch", len(got))
		}
	})
}

func TestFIFOTopic(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e env) {
		ft := tref("events.fifo")
		if _, err := e.cat.Create(ctx, ft, map[string]string{"FifoTopic": "true", "ContentBasedDeduplication": "true"}, nil, nil); err != nil {
			t.Fatal(err)
		}
		mkFIFO := func(name string) queues.Ref {
			r := queues.Ref{Account: account, Region: region, Name: name}
			if _, err := e.eng.Catalog().Create(ctx, r, map[string]string{"FifoQueue": "true"}, nil); err != nil {
				t.Fatal(err)
			}
			return r
		}
		a, b := mkFIFO("a.fifo"), mkFIFO("b.fifo")
		if _, err := e.cat.Subscribe(ctx, ft, "sqs", a.ARN(), map[string]string{"RawMessageDelivery": "true"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.cat.Subscribe(ctx, ft, "sqs", b.ARN(), map[string]string{"RawMessageDelivery": "true", "FilterPolicy": `{"n":[{"numeric":[">=",3]}]}`}); err != nil {
			t.Fatal(err)
		}
		std := mustQueue(t, e, "std")
		_, err := e.cat.Subscribe(ctx, ft, "sqs", std.ARN(), nil)
		wantCode(t, err, topics.CodeInvalidParameter)

		for i := 1; i <= 5; i++ {
			m := topics.Message{Body: fmt.Sprint("m", i), GroupID: "g", Attributes: msgattr.Attributes{"n": {DataType: "Number", StringValue: fmt.Sprint(i)}}}
			if _, err := e.cat.Publish(ctx, e.eng, ft, m); err != nil {
				t.Fatal(err)
			}
		}
		// A duplicate (content-based) within the window delivers nothing new.
		if _, err := e.cat.Publish(ctx, e.eng, ft, topics.Message{Body: "m2", GroupID: "g", Attributes: msgattr.Attributes{"n": {DataType: "Number", StringValue: "2"}}}); err != nil {
			t.Fatal(err)
		}
		_, err = e.cat.Publish(ctx, e.eng, ft, topics.Message{Body: "x"})
		wantCode(t, err, topics.CodeInvalidParameter)
		_, err = e.cat.Publish(ctx, e.eng, tref("missing.fifo"), topics.Message{Body: "x", GroupID: "g"})
		wantCode(t, err, topics.CodeNotFound)

		order := func(q queues.Ref) []string {
			var got []string
			for {
				msgs := receiveAll(t, e, q)
				if len(msgs) == 0 {
					return got
				}
				for _, m := range msgs {
					got = append(got, m.Body)
					if err := e.eng.DeleteMessage(ctx, q, m.ReceiptHandle); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		if got := fmt.Sprint(order(a)); got != "[m1 m2 m3 m4 m5]" {
			t.Fatalf("a.fifo got %s", got)
		}
		if got := fmt.Sprint(order(b)); got != "[m3 m4 m5]" {
			t.Fatalf("b.fifo got %s", got)
		}

		// Without content-based deduplication an id is required.
		plain := tref("plain.fifo")
		if _, err := e.cat.Create(ctx, plain, map[string]string{"FifoTopic": "true"}, nil, nil); err != nil {
			t.Fatal(err)
		}
		_, err = e.cat.Publish(ctx, e.eng, plain, topics.Message{Body: "x", GroupID: "g"})
		wantCode(t, err, topics.CodeInvalidParameter)
		if _, err := e.cat.Publish(ctx, e.eng, plain, topics.Message{Body: "x", GroupID: "g", DeduplicationID: "d1"}); err != nil {
			t.Fatal(err)
		}
		// A standard topic refuses FIFO ids.
		if _, err := e.cat.Create(ctx, tref("s"), nil, nil, nil); err != nil {
			t.Fatal(err)
		}
		_, err = e.cat.Publish(ctx, e.eng, tref("s"), topics.Message{Body: "x", GroupID: "g"})
		wantCode(t, err, topics.CodeInvalidParameter)
	})
}
