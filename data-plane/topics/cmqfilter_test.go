package topics_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/sluice-mq/sluice/data-plane/msgattr"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/topics"
)

// cmqMsg is a message with CMQ tags and a routing key (either may be
// empty) and a "kind" attribute.
func cmqMsg(body, kind, routingKey string, tags ...string) topics.Message {
	attrs := msgattr.Attributes{}
	if kind != "" {
		attrs["kind"] = msgattr.Value{DataType: "String", StringValue: kind}
	}
	if routingKey != "" {
		attrs[topics.AttrRoutingKey] = msgattr.Value{DataType: "String", StringValue: routingKey}
	}
	if len(tags) > 0 {
		attrs[topics.AttrMessageTags] = msgattr.Value{DataType: "String.Array", StringValue: `["` + strings.Join(tags, `","`) + `"]`}
	}
	return topics.Message{Body: body, Attributes: attrs}
}

func bodiesOf(t *testing.T, e env, q queues.Ref) []string {
	t.Helper()
	var out []string
	for _, m := range receiveAll(t, e, q) {
		out = append(out, m.Body)
	}
	sort.Strings(out)
	return out
}

func TestCMQFiltersFanOut(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e env) {
		if _, err := e.cat.Create(ctx, tref("cmq"), nil, nil, nil); err != nil {
			t.Fatal(err)
		}
		tagged, routed, both := mustQueue(t, e, "tagged"), mustQueue(t, e, "routed"), mustQueue(t, e, "both")
		for q, attrs := range map[queues.Ref]map[string]string{
			tagged: {"RawMessageDelivery": "true", "FilterTags": `["red", "blue"]`},
			routed: {"RawMessageDelivery": "true", "BindingKeys": `["order.*", "#.refund", "audit.#.done"]`},
			both: {"RawMessageDelivery": "true", "FilterTags": `["red"]`, "BindingKeys": `["order.#"]`,
				"FilterPolicy": `{"kind":["shop"]}`},
		} {
			if _, err := e.cat.Subscribe(ctx, tref("cmq"), "sqs", q.ARN(), attrs); err != nil {
				t.Fatal(err)
			}
		}
		msgs := []topics.Message{
			cmqMsg("m1", "shop", "order.created", "red"),   // tagged, routed, both
			cmqMsg("m2", "", "order.created", "blue"),      // tagged, routed
			cmqMsg("m3", "shop", "order.a.b", "red"),       // tagged, both
			cmqMsg("m4", "shop", "x.y.refund"),             // routed (untagged: no tag filter)
			cmqMsg("m5", "shop", "", "green", "red"),       // tagged (no routing key)
			cmqMsg("m6", "other", "order.x", "red"),        // tagged, routed; both fails the policy
			cmqMsg("m7", "shop", "audit.done", "green"),    // routed
			cmqMsg("m8", "shop", "audit.x.y.done.no"),      // nothing
			cmqMsg("m9", "shop", "order", "red", "yellow"), // tagged, both ("order.#" takes zero words)
		}
		var delivered []int
		for _, m := range msgs {
			res, err := e.cat.Publish(ctx, e.eng, tref("cmq"), m)
			if err != nil {
				t.Fatalf("publish %s: %v", m.Body, err)
			}
			delivered = append(delivered, res.Delivered)
		}
		if want := []int{3, 2, 2, 1, 1, 2, 1, 0, 2}; fmt.Sprint(delivered) != fmt.Sprint(want) {
			t.Errorf("delivered counts %v, want %v", delivered, want)
		}
		for q, want := range map[queues.Ref]string{
			tagged: "[m1 m2 m3 m5 m6 m9]",
			routed: "[m1 m2 m4 m6 m7]",
			both:   "[m1 m3 m9]",
		} {
			if got := fmt.Sprint(bodiesOf(t, e, q)); got != want {
				t.Errorf("queue %s got %s, want %s", q.Name, got, want)
			}
		}
		// The reserved attributes reach raw deliveries as sent.
		if _, err := e.cat.Publish(ctx, e.eng, tref("cmq"), cmqMsg("m10", "", "order.new", "red")); err != nil {
			t.Fatal(err)
		}
		got := receiveAll(t, e, tagged)
		if len(got) != 1 || got[0].MessageAttributes[topics.AttrMessageTags].StringValue != `["red"]` {
			t.Fatalf("tagged queue got %+v", got)
		}
	})
}

func TestCMQFilterValidation(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e env) {
		if _, err := e.cat.Create(ctx, tref("v"), nil, nil, nil); err != nil {
			t.Fatal(err)
		}
		q := mustQueue(t, e, "q")
		for _, attrs := range []map[string]string{
			{"FilterTags": `["1","2","3","4","5","6"]`},
			{"FilterTags": `[]`},
			{"FilterTags": `"red"`},
			{"FilterTags": `["` + strings.Repeat("x", 17) + `"]`},
			{"FilterTags": `[""]`},
			{"BindingKeys": `["a","b","c","d","e","f"]`},
			{"BindingKeys": `["a..b"]`},
			{"BindingKeys": `["a*.b"]`},
			{"BindingKeys": `["` + strings.Repeat("a", 65) + `"]`},
			{"BindingKeys": `["` + strings.Repeat("a.", 16) + `a"]`},
			{"BindingKeys": `[1]`},
		} {
			_, err := e.cat.Subscribe(ctx, tref("v"), "sqs", q.ARN(), attrs)
			wantCode(t, err, topics.CodeInvalidParameter)
		}
		sub, err := e.cat.Subscribe(ctx, tref("v"), "sqs", q.ARN(), map[string]string{"BindingKeys": `[ "a.#" ]`})
		if err != nil {
			t.Fatal(err)
		}
		// Stored in canonical form, so the same keys subscribe idempotently.
		if again, err := e.cat.Subscribe(ctx, tref("v"), "sqs", q.ARN(), map[string]string{"BindingKeys": `["a.#"]`}); err != nil || again.Ref != sub.Ref {
			t.Fatalf("idempotent subscribe: %v", err)
		}
		wantCode(t, e.cat.SetSubscriptionAttribute(ctx, sub.Ref, "FilterTags", `["a","b","c","d","e","f"]`), topics.CodeInvalidParameter)
		if err := e.cat.SetSubscriptionAttribute(ctx, sub.Ref, "FilterTags", `["a","b","c","d","e"]`); err != nil {
			t.Fatal(err)
		}
		attrs, err := e.cat.SubscriptionAttributes(ctx, sub.Ref)
		if err != nil || attrs["BindingKeys"] != `["a.#"]` || attrs["FilterTags"] != `["a","b","c","d","e"]` {
			t.Fatalf("attributes %v, %v", attrs, err)
		}
		if err := e.cat.SetSubscriptionAttribute(ctx, sub.Ref, "FilterTags", ""); err != nil {
			t.Fatal(err)
		}
		if attrs, _ := e.cat.SubscriptionAttributes(ctx, sub.Ref); attrs["FilterTags"] != "" {
			t.Fatalf("FilterTags not removed: %v", attrs)
		}

		// Messages with bad reserved attributes are refused, and nothing is delivered.
		bad := []topics.Message{
			cmqMsg("b", "", "", "1", "2", "3", "4", "5", "6"),
			cmqMsg("b", "", "", strings.Repeat("x", 17)),
			cmqMsg("b", "", "a.*"),
			cmqMsg("b", "", "a..b"),
			cmqMsg("b", "", strings.Repeat("a", 65)),
			{Body: "b", Attributes: msgattr.Attributes{topics.AttrMessageTags: {DataType: "String", StringValue: "red"}}},
			{Body: "b", Attributes: msgattr.Attributes{topics.AttrMessageTags: {DataType: "String.Array", StringValue: `[1]`}}},
			{Body: "b", Attributes: msgattr.Attributes{topics.AttrRoutingKey: {DataType: "Number", StringValue: "1"}}},
		}
		for _, m := range bad {
			_, err := e.cat.Publish(ctx, e.eng, tref("v"), m)
			wantCode(t, err, topics.CodeInvalidParameter)
		}
		if got := receiveAll(t, e, q); len(got) != 0 {
			t.Fatalf("refused messages delivered: %d", len(got))
		}
		// In a batch, a bad entry fails alone.
		res, err := e.cat.PublishBatch(ctx, e.eng, tref("v"), []topics.Message{bad[0], cmqMsg("ok", "", "a.b")})
		if err != nil || res[0].Err == nil || res[1].Err != nil || res[1].Result.Delivered != 1 {
			t.Fatalf("batch: %+v, %v", res, err)
		}
	})
}
