package snsapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/snsapi"
	"github.com/sluice-mq/sluice/data-plane/topics"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

// http subscriptions over the Query protocol: pending until confirmed,
// listed as PendingConfirmation, confirmed by ConfirmSubscription with
// the token the confirmation carries.
func TestHTTPSubscriptionQuery(t *testing.T) {
	s := newServer(t, kvtest.OpenLocal(t))
	topic := s.call("", "Action", "CreateTopic", "Name", "hooks").field(t, "TopicArn")
	fifo := s.call("", "Action", "CreateTopic", "Name", "hooks.fifo", "Attributes.entry.1.key", "FifoTopic", "Attributes.entry.1.value", "true").field(t, "TopicArn")
	r := s.call("", "Action", "Subscribe", "TopicArn", topic, "Protocol", "http", "Endpoint", "http://example.com/hook")
	if got := r.field(t, "SubscriptionArn"); got != "pending confirmation" {
		t.Fatalf("Subscribe answered %q", got)
	}
	arn := s.call("", "Action", "Subscribe", "TopicArn", topic, "Protocol", "http", "Endpoint", "http://example.com/hook", "ReturnSubscriptionArn", "true").field(t, "SubscriptionArn")
	if !strings.HasPrefix(arn, topic+":") {
		t.Fatalf("ReturnSubscriptionArn gave %q", arn)
	}
	if got := s.call("", "Action", "ListSubscriptionsByTopic", "TopicArn", topic).field(t, "SubscriptionArn"); got != "PendingConfirmation" {
		t.Fatalf("listed as %q", got)
	}
	if got := s.call("", "Action", "GetSubscriptionAttributes", "SubscriptionArn", arn); !strings.Contains(got.body, "<key>PendingConfirmation</key><value>true</value>") {
		t.Fatalf("attributes %s", got.body)
	}
	s.call("", "Action", "Subscribe", "TopicArn", fifo, "Protocol", "https", "Endpoint", "https://example.com/").wantError(t, 400, "InvalidParameter")
	s.call("", "Action", "Subscribe", "TopicArn", topic, "Protocol", "https", "Endpoint", "http://example.com/").wantError(t, 400, "InvalidParameter")
	s.call("", "Action", "ConfirmSubscription", "TopicArn", topic, "Token", "nope").wantError(t, 400, "InvalidParameter")

	ref, _ := topics.ParseSubscriptionARN(arn)
	wait, vis := 0, 60
	ms, err := s.eng.ReceiveMessage(t.Context(), topics.PushQueue(ref), engine.ReceiveInput{MaxNumberOfMessages: 10, WaitTimeSeconds: &wait, VisibilityTimeout: &vis})
	if err != nil || len(ms) != 2 { // one per Subscribe call
		t.Fatalf("confirmations %d (%v)", len(ms), err)
	}
	var c struct{ Token, SubscribeURL string }
	if err := json.Unmarshal([]byte(ms[0].Body), &c); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.SubscribeURL, s.url+"/?Action=ConfirmSubscription&") {
		t.Fatalf("SubscribeURL %q, want one on %s", c.SubscribeURL, s.url)
	}
	// The SubscribeURL is unsigned: Route sends it to SNS all the same.
	h := snsapi.Route(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp, err := http.Get(s.url + r.URL.RequestURI())
		if err != nil {
			t.Error(err)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}), http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(418) }))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, strings.TrimPrefix(c.SubscribeURL, s.url), nil))
	if w.Code != 200 || !strings.Contains(w.Body.String(), "<SubscriptionArn>"+arn+"</SubscriptionArn>") {
		t.Fatalf("GET SubscribeURL: %d %s", w.Code, w.Body)
	}
	if got := s.call("", "Action", "ListSubscriptionsByTopic", "TopicArn", topic).field(t, "SubscriptionArn"); got != arn {
		t.Fatalf("listed as %q after confirming", got)
	}
	// Another unsigned action still goes to SQS.
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/?Action=Publish&TopicArn="+topic, nil))
	if w.Code != 418 {
		t.Fatalf("unsigned Publish went to SNS: %d", w.Code)
	}
}
