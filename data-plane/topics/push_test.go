package topics_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/topics"
)

// drainPush drains a queue (visibility 60 s, so each message once).
func drainPush(t testing.TB, e env, q queues.Ref) []engine.Message {
	t.Helper()
	var out []engine.Message
	vis, wait := 60, 0
	for {
		ms, err := e.eng.ReceiveMessage(ctx, q, engine.ReceiveInput{MaxNumberOfMessages: 10, VisibilityTimeout: &vis, WaitTimeSeconds: &wait, MessageAttributeNames: []string{"All"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) == 0 {
			return out
		}
		out = append(out, ms...)
	}
}

// An http subscription is pending until confirmed with the token its
// SubscriptionConfirmation carries; publishes reach its push queue only
// once confirmed, in the publish's transaction; the push queue is not a
// queue the tenant sees or is counted for.
func TestHTTPSubscriptionLifecycle(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e env) {
		topic := tref("hooks")
		if _, err := e.cat.Create(ctx, topic, nil, nil, nil); err != nil {
			t.Fatal(err)
		}
		sub, err := e.cat.SubscribeHTTP(ctx, e.eng, topic, "http", "http://example.com/hook", map[string]string{"RawMessageDelivery": "true"}, "http://sluice:9324")
		if err != nil {
			t.Fatal(err)
		}
		if !sub.Pending() || sub.Push.Secret == "" {
			t.Fatalf("new http subscription %+v", sub.Push)
		}
		q := topics.PushQueue(sub.Ref)
		if !q.Internal() {
			t.Fatalf("push queue %+v is not internal", q)
		}
		msgs := drainPush(t, e, q)
		if len(msgs) != 1 || msgs[0].MessageAttributes[topics.PushAttrType].StringValue != topics.TypeConfirmation {
			t.Fatalf("push queue holds %+v, want one confirmation", msgs)
		}
		var c struct{ Type, Token, TopicArn, SubscribeURL string }
		if err := json.Unmarshal([]byte(msgs[0].Body), &c); err != nil || c.Token != sub.Push.Token || c.TopicArn != topic.ARN() ||
			!strings.HasPrefix(c.SubscribeURL, "http://sluice:9324/?Action=ConfirmSubscription&") || !strings.Contains(c.SubscribeURL, "Token="+c.Token) {
			t.Fatalf("confirmation %s (%v)", msgs[0].Body, err)
		}
		// Subscribing again while pending sends the confirmation again.
		again, err := e.cat.SubscribeHTTP(ctx, e.eng, topic, "http", "http://example.com/hook", nil, "http://sluice:9324")
		if err != nil || again.Ref != sub.Ref {
			t.Fatalf("subscribe again: %v, %+v", err, again)
		}
		if n := len(drainPush(t, e, q)); n != 1 {
			t.Fatalf("%d confirmations sent again, want 1", n)
		}
		// Nothing is delivered while pending.
		if _, err := e.cat.Publish(ctx, e.eng, topic, topics.Message{Body: "early"}); err != nil {
			t.Fatal(err)
		}
		if n := len(drainPush(t, e, q)); n != 0 {
			t.Fatalf("%d messages queued for a pending subscription", n)
		}
		if ta, err := e.cat.TopicAttributes(ctx, topic); err != nil || ta["SubscriptionsPending"] != "1" || ta["SubscriptionsConfirmed"] != "0" {
			t.Fatalf("topic attributes while pending: %v (%v)", ta, err)
		}
		if _, err := e.cat.Confirm(ctx, topic, sub.Push.Token+"x", false); err == nil {
			t.Fatal("a wrong token confirmed")
		}
		if _, err := e.cat.Confirm(ctx, tref("other"), sub.Push.Token, false); err == nil {
			t.Fatal("a token confirmed another topic's subscription")
		}
		got, err := e.cat.Confirm(ctx, topic, sub.Push.Token, false)
		if err != nil || got.Ref != sub.Ref || got.Pending() {
			t.Fatalf("confirm: %v %+v", err, got)
		}
		if _, err := e.cat.Confirm(ctx, topic, sub.Push.Token, false); err != nil {
			t.Fatalf("confirming twice: %v", err)
		}
		attrs, err := e.cat.SubscriptionAttributes(ctx, sub.Ref)
		if err != nil || attrs["PendingConfirmation"] != "false" || attrs["ConfirmationWasAuthenticated"] != "false" || attrs["SigningSecret"] != sub.Push.Secret {
			t.Fatalf("attributes %v (%v)", attrs, err)
		}
		if ta, _ := e.cat.TopicAttributes(ctx, topic); ta["SubscriptionsPending"] != "0" || ta["SubscriptionsConfirmed"] != "1" {
			t.Fatalf("topic attributes once confirmed: %v", ta)
		}
		res, err := e.cat.Publish(ctx, e.eng, topic, topics.Message{Body: "now"})
		if err != nil || res.Delivered != 1 {
			t.Fatalf("publish: %v %+v", err, res)
		}
		msgs = drainPush(t, e, q)
		if len(msgs) != 1 || msgs[0].Body != "now" || msgs[0].MessageAttributes[topics.PushAttrMessageID].StringValue != res.MessageID ||
			msgs[0].MessageAttributes[topics.PushAttrType].StringValue != topics.TypeNotification {
			t.Fatalf("push queue after publish: %+v", msgs)
		}
		// The tenant's queues: none listed, none counted.
		names, _, err := e.eng.Catalog().List(ctx, account, region, "", 1000, "")
		if err != nil || len(names) != 0 {
			t.Fatalf("ListQueues shows %v (%v)", names, err)
		}
		if _, err := e.eng.Catalog().CreateWith(ctx, queues.Ref{Account: account, Region: region, Name: "only"}, queues.NewQueue{Admit: func(n int64) error {
			if n != 0 {
				t.Errorf("the account counts %d queues before its first", n)
			}
			return nil
		}}); err != nil {
			t.Fatal(err)
		}
		regs, err := e.cat.PushSubscriptions(ctx)
		if err != nil || len(regs) != 1 || regs[0].Ref != sub.Ref {
			t.Fatalf("registry %+v (%v)", regs, err)
		}
	})
}

func TestHTTPSubscribeRefusals(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e env) {
		topic := tref("hooks")
		fifo := tref("hooks.fifo")
		if _, err := e.cat.Create(ctx, topic, nil, nil, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := e.cat.Create(ctx, fifo, map[string]string{"FifoTopic": "true"}, nil, nil); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			topic     topics.Ref
			proto, ep string
			attrs     map[string]string
			code      string
		}{
			{topic, "http", "https://example.com/", nil, topics.CodeInvalidParameter},
			{topic, "https", "http://example.com/", nil, topics.CodeInvalidParameter},
			{topic, "http", "http:///nohost", nil, topics.CodeInvalidParameter},
			{topic, "http", "http://u:p@example.com/", nil, topics.CodeInvalidParameter},
			{topic, "http", "http://169.254.169.254/latest/meta-data/", nil, topics.CodeInvalidParameter},
			{topic, "http", "http://[fe80::1]:8080/", nil, topics.CodeInvalidParameter},
			{topic, "http", "http://0.0.0.0/", nil, topics.CodeInvalidParameter},
			{fifo, "https", "https://example.com/", nil, topics.CodeInvalidParameter},
			{topic, "http", "http://example.com/", map[string]string{"NotifyStrategy": "SOMETIMES"}, topics.CodeInvalidParameter},
			{topic, "http", "http://example.com/", map[string]string{"SigningSecret": "short"}, topics.CodeInvalidParameter},
			{topic, "http", "http://example.com/", map[string]string{"DeliveryPolicy": `{"healthyRetryPolicy":{"numRetries":101}}`}, topics.CodeInvalidParameter},
			{topic, "http", "http://example.com/", map[string]string{"DeliveryPolicy": `{"healthyRetryPolicy":{"numRetries":100,"minDelayTarget":3600,"maxDelayTarget":3600}}`}, topics.CodeInvalidParameter},
			{topic, "http", "http://example.com/", map[string]string{"DeliveryPolicy": `{"healthyRetryPolicy":{"numRetries":3,"backoffFunction":"cubic"}}`}, topics.CodeInvalidParameter},
			{topic, "http", "http://example.com/", map[string]string{"DeliveryPolicy": `{"retry":{}}`}, topics.CodeInvalidParameter},
			{topic, "http", "http://example.com/", map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:999999999999:dlq"}`}, topics.CodeAuthorizationError},
			{topic, "http", "http://example.com/", map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:eu-west-1:` + account + `:dlq"}`}, topics.CodeInvalidParameter},
			{topic, "http", "http://example.com/", map[string]string{"RedrivePolicy": `{}`}, topics.CodeInvalidParameter},
		} {
			_, err := e.cat.SubscribeHTTP(ctx, e.eng, c.topic, c.proto, c.ep, c.attrs, "http://x")
			wantCode(t, err, c.code)
		}
		_, err := e.cat.SubscribeHTTP(ctx, e.eng, tref("missing"), "http", "http://example.com/", nil, "http://x")
		wantCode(t, err, topics.CodeNotFound)
		// Refused subscriptions leave no queue behind.
		if regs, _ := e.cat.PushSubscriptions(ctx); len(regs) != 0 {
			t.Fatalf("refusals registered %d push subscriptions", len(regs))
		}
	})
}

func TestRetryPolicies(t *testing.T) {
	top := &topics.Topic{Ref: tref("t")}
	sub := func(attrs map[string]string) *topics.Subscription {
		return &topics.Subscription{Ref: topics.SubRef{Topic: tref("t"), ID: "x"}, Protocol: "http", Attributes: attrs}
	}
	schedule := func(p topics.DeliveryPolicy, age time.Duration) []time.Duration {
		var out []time.Duration
		for n := 1; n < 400; n++ {
			d, ok := p.Retry.Next(n, age)
			if !ok {
				return out
			}
			out = append(out, d)
			age += d
		}
		return out
	}
	// SNS's default: 3 retries 20 s apart.
	p, err := topics.PolicyFor(top, sub(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := schedule(p, 0); len(got) != 3 || got[0] != 20*time.Second || got[2] != 20*time.Second || p.ContentType != topics.DefaultContentType {
		t.Fatalf("default schedule %v", got)
	}
	// SNS's phases: 2 immediate, 1 at the minimum, 3 backing off, 2 at the maximum.
	p, _ = topics.PolicyFor(top, sub(map[string]string{"DeliveryPolicy": `{"healthyRetryPolicy":{"numRetries":8,"numNoDelayRetries":2,"numMinDelayRetries":1,"numMaxDelayRetries":2,"minDelayTarget":2,"maxDelayTarget":20,"backoffFunction":"linear"},"throttlePolicy":{"maxReceivesPerSecond":5},"requestPolicy":{"headerContentType":"application/json"}}`}))
	want := []time.Duration{0, 0, 2, 8, 14, 20, 20, 20}
	got := schedule(p, 0)
	if len(got) != len(want) || p.MaxPerSecond != 5 || p.ContentType != "application/json" {
		t.Fatalf("phased schedule %v, throttle %v, type %q", got, p.MaxPerSecond, p.ContentType)
	}
	for i := range want {
		if got[i] != want[i]*time.Second {
			t.Fatalf("phased schedule %v, want %v s", got, want)
		}
	}
	// The topic's http default applies when the subscription has none.
	top2 := &topics.Topic{Ref: tref("t"), Attributes: map[string]string{"DeliveryPolicy": `{"http":{"defaultHealthyRetryPolicy":{"numRetries":1,"minDelayTarget":5,"maxDelayTarget":5}}}`}}
	p, _ = topics.PolicyFor(top2, sub(nil))
	if got := schedule(p, 0); len(got) != 1 || got[0] != 5*time.Second {
		t.Fatalf("topic default schedule %v", got)
	}
	// CMQ's exponential decay: 1, 2, 4 … 512 s, until a day has passed.
	p, _ = topics.PolicyFor(top, sub(map[string]string{"NotifyStrategy": "EXPONENTIAL_DECAY_RETRY"}))
	got = schedule(p, 0)
	if got[0] != time.Second || got[1] != 2*time.Second || got[9] != 512*time.Second || got[len(got)-1] != 512*time.Second {
		t.Fatalf("decay schedule starts %v", got[:12])
	}
	if n := len(got) + 1; n < 170 || n > 180 { // tries in a day, the first included
		t.Fatalf("exponential decay makes %d tries a day, CMQ about 176", n)
	}
	// CMQ's backoff retry: a fixed interval, a fixed count.
	p, _ = topics.PolicyFor(top, sub(map[string]string{"NotifyStrategy": "BACKOFF_RETRY", "DeliveryPolicy": `{"healthyRetryPolicy":{"numRetries":4,"minDelayTarget":7,"maxDelayTarget":7}}`}))
	if got := schedule(p, 0); len(got) != 4 || got[3] != 7*time.Second {
		t.Fatalf("backoff schedule %v", got)
	}
	p, _ = topics.PolicyFor(top, sub(map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:` + account + `:dlq"}`}))
	if p.DeadLetter == nil || *p.DeadLetter != (queues.Ref{Account: account, Region: region, Name: "dlq"}) {
		t.Fatalf("dead letter %+v", p.DeadLetter)
	}
}
