package snsapi_test

import (
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/snsapi"
	"github.com/sluice-mq/sluice/data-plane/sqsapi"
	"github.com/sluice-mq/sluice/data-plane/topics"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
	"github.com/sluice-mq/sluice/tenants"
)

const account, region = "111122223333", "us-east-1"

// fakeAuth signs everything in as the account named by the request's
// X-Test-Account header (default account); "deny" refuses.
type fakeAuth struct{}

func (fakeAuth) Authenticate(_ context.Context, r *http.Request, _ []byte) (sqsapi.Principal, error) {
	a := r.Header.Get("X-Test-Account")
	switch a {
	case "":
		a = account
	case "deny":
		return sqsapi.Principal{}, &sqsapi.Error{Code: "InvalidClientTokenId", Status: 403, Message: "The security token included in the request is invalid."}
	}
	return sqsapi.Principal{AccountID: a, Region: region, Quotas: tenants.Quotas{MaxQueues: 2}}, nil
}

type server struct {
	t   *testing.T
	url string
	eng *engine.Engine
}

func newServer(t *testing.T, s kv.Store) *server {
	eng, err := engine.New(s, engine.Options{ReceiptKey: []byte("0123456789abcdef0123456789abcdef"), PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	h, err := snsapi.New(snsapi.Options{Engine: eng, Topics: topics.New(s, topics.Options{}), Auth: fakeAuth{}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &server{t: t, url: srv.URL, eng: eng}
}

type reply struct {
	status int
	body   string
}

func (s *server) call(as string, params ...string) reply {
	s.t.Helper()
	form := url.Values{"Version": {"2010-03-31"}}
	for i := 0; i+1 < len(params); i += 2 {
		form.Add(params[i], params[i+1])
	}
	req, _ := http.NewRequest(http.MethodPost, s.url, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if as != "" {
		req.Header.Set("X-Test-Account", as)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, string(b)}
}

func (r reply) field(t *testing.T, name string) string {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(r.body))
	for {
		tok, err := d.Token()
		if err != nil {
			t.Fatalf("no <%s> in %s", name, r.body)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == name {
			var v string
			if err := d.DecodeElement(&v, &se); err != nil {
				t.Fatal(err)
			}
			return v
		}
	}
}

func (r reply) wantError(t *testing.T, status int, code string) {
	t.Helper()
	if r.status != status || r.field(t, "Code") != code || !strings.Contains(r.body, "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">") {
		t.Fatalf("want %d %s, got %d %s", status, code, r.status, r.body)
	}
}

func TestQueryProtocol(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, s kv.Store) {
		srv := newServer(t, s)
		r := srv.call("", "Action", "CreateTopic", "Name", "orders", "Attributes.entry.1.key", "DisplayName", "Attributes.entry.1.value", "Shop",
			"Tags.member.1.Key", "team", "Tags.member.1.Value", "a")
		if r.status != 200 || !strings.Contains(r.body, `<CreateTopicResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><CreateTopicResult><TopicArn>arn:aws:sns:us-east-1:111122223333:orders</TopicArn></CreateTopicResult><ResponseMetadata><RequestId>`) {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		arn := r.field(t, "TopicArn")
		if got := srv.call("", "Action", "GetTopicAttributes", "TopicArn", arn); !strings.Contains(got.body, "<entry><key>DisplayName</key><value>Shop</value></entry>") {
			t.Fatalf("attributes: %s", got.body)
		}
		if got := srv.call("", "Action", "ListTagsForResource", "ResourceArn", arn); !strings.Contains(got.body, "<Tags><member><Key>team</Key><Value>a</Value></member></Tags>") {
			t.Fatalf("tags: %s", got.body)
		}
		if got := srv.call("", "Action", "ListTopics"); !strings.Contains(got.body, "<Topics><member><TopicArn>"+arn+"</TopicArn></member></Topics>") {
			t.Fatalf("list: %s", got.body)
		}

		q := queues.Ref{Account: account, Region: region, Name: "q"}
		if _, err := srv.eng.Catalog().Create(context.Background(), q, nil, nil); err != nil {
			t.Fatal(err)
		}
		sub := srv.call("", "Action", "Subscribe", "TopicArn", arn, "Protocol", "sqs", "Endpoint", q.ARN(),
			"Attributes.entry.1.key", "RawMessageDelivery", "Attributes.entry.1.value", "true")
		subArn := sub.field(t, "SubscriptionArn")
		if !strings.HasPrefix(subArn, arn+":") {
			t.Fatalf("subscribe: %s", sub.body)
		}
		if got := srv.call("", "Action", "ListSubscriptionsByTopic", "TopicArn", arn); got.field(t, "Endpoint") != q.ARN() || got.field(t, "Protocol") != "sqs" {
			t.Fatalf("list subscriptions: %s", got.body)
		}
		pub := srv.call("", "Action", "Publish", "TopicArn", arn, "Message", "hello",
			"MessageAttributes.entry.1.Name", "k", "MessageAttributes.entry.1.Value.DataType", "String", "MessageAttributes.entry.1.Value.StringValue", "v")
		if pub.status != 200 || pub.field(t, "MessageId") == "" {
			t.Fatalf("publish: %s", pub.body)
		}
		batch := srv.call("", "Action", "PublishBatch", "TopicArn", arn,
			"PublishBatchRequestEntries.member.1.Id", "a", "PublishBatchRequestEntries.member.1.Message", "one",
			"PublishBatchRequestEntries.member.2.Id", "b", "PublishBatchRequestEntries.member.2.Message", "")
		if batch.status != 200 || !strings.Contains(batch.body, "<Successful><member><Id>a</Id>") || !strings.Contains(batch.body, "<Failed><member><Id>b</Id><Code>InvalidParameter</Code>") {
			t.Fatalf("batch: %s", batch.body)
		}
		zero := 0
		msgs, err := srv.eng.ReceiveMessage(context.Background(), q, engine.ReceiveInput{MaxNumberOfMessages: 10, WaitTimeSeconds: &zero, MessageAttributeNames: []string{"All"}})
		if err != nil || len(msgs) != 2 {
			t.Fatalf("received %v %v", msgs, err)
		}

		// Errors, with SNS's codes and statuses.
		srv.call("", "Action", "GetTopicAttributes", "TopicArn", arn+"x").wantError(t, 404, "NotFound")
		srv.call("", "Action", "Publish", "TopicArn", arn).wantError(t, 400, "InvalidParameter")
		srv.call("", "Action", "Publish", "TopicArn", "arn:aws:sns:us-east-1:444455556666:orders", "Message", "x").wantError(t, 403, "AuthorizationError")
		srv.call("", "Action", "Subscribe", "TopicArn", arn, "Protocol", "sqs", "Endpoint", "arn:aws:sqs:us-east-1:444455556666:q").wantError(t, 403, "AuthorizationError")
		srv.call("444455556666", "Action", "GetTopicAttributes", "TopicArn", arn).wantError(t, 403, "AuthorizationError")
		srv.call("", "Action", "TagResource", "ResourceArn", arn+"x", "Tags.member.1.Key", "a", "Tags.member.1.Value", "b").wantError(t, 404, "ResourceNotFound")
		if r := srv.call("", "Action", "CreateTopic", "Name", "b"); r.status != 200 {
			t.Fatal(r.body)
		}
		srv.call("", "Action", "CreateTopic", "Name", "c").wantError(t, 403, "TopicLimitExceeded")
		srv.call("", "Action", "CreateTopic", "Name", "bad name").wantError(t, 400, "InvalidParameter")
		srv.call("", "Action", "Nope").wantError(t, 400, "InvalidAction")
		srv.call("deny", "Action", "ListTopics").wantError(t, 403, "InvalidClientTokenId")
		srv.call("", "Action", "ConfirmSubscription", "TopicArn", arn, "Token", "x").wantError(t, 400, "InvalidParameter")
		srv.call("", "Action", "PublishBatch", "TopicArn", arn).wantError(t, 400, "EmptyBatchRequest")
		if r := srv.call("", "Action", "Unsubscribe", "SubscriptionArn", subArn); r.status != 200 {
			t.Fatal(r.body)
		}
		srv.call("", "Action", "Unsubscribe", "SubscriptionArn", subArn).wantError(t, 404, "NotFound")
	})
}

func TestRoute(t *testing.T) {
	sns := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "sns") })
	sqs := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "sqs") })
	h := snsapi.Route(sns, sqs)
	cases := []struct {
		auth, query, want string
	}{
		{"AWS4-HMAC-SHA256 Credential=AKID/20261206/us-east-1/sns/aws4_request, SignedHeaders=host, Signature=00", "", "sns"},
		{"AWS4-HMAC-SHA256 Credential=AKID/20261206/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=00", "", "sqs"},
		{"", "X-Amz-Credential=AKID%2F20261206%2Fus-east-1%2Fsns%2Faws4_request", "sns"},
		{"", "X-Amz-Credential=AKID%2F20261206%2Fus-east-1%2Fsqs%2Faws4_request", "sqs"},
		{"", "", "sqs"},
		{"garbage", "", "sqs"},
	}
	for _, c := range cases {
		req := httptest.NewRequest(http.MethodPost, "/?"+c.query, nil)
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Body.String() != c.want {
			t.Errorf("%q %q went to %s, want %s", c.auth, c.query, w.Body.String(), c.want)
		}
	}
}

func TestFIFOTopicQuery(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, s kv.Store) {
		srv := newServer(t, s)
		srv.call("", "Action", "CreateTopic", "Name", "e.fifo").wantError(t, 400, "InvalidParameter")
		r := srv.call("", "Action", "CreateTopic", "Name", "e.fifo", "Attributes.entry.1.key", "FifoTopic", "Attributes.entry.1.value", "true")
		arn := r.field(t, "TopicArn")
		q := queues.Ref{Account: account, Region: region, Name: "q.fifo"}
		if _, err := srv.eng.Catalog().Create(context.Background(), q, map[string]string{"FifoQueue": "true"}, nil); err != nil {
			t.Fatal(err)
		}
		if r := srv.call("", "Action", "Subscribe", "TopicArn", arn, "Protocol", "sqs", "Endpoint", q.ARN()); r.status != 200 {
			t.Fatal(r.body)
		}
		srv.call("", "Action", "Publish", "TopicArn", arn, "Message", "x").wantError(t, 400, "InvalidParameter")
		srv.call("", "Action", "Publish", "TopicArn", arn, "Message", "x", "MessageGroupId", "g").wantError(t, 400, "InvalidParameter")
		var ids, seqs []string
		for _, id := range []string{"d1", "d2", "d1"} {
			r := srv.call("", "Action", "Publish", "TopicArn", arn, "Message", id, "MessageGroupId", "g", "MessageDeduplicationId", id)
			if r.status != 200 {
				t.Fatal(r.body)
			}
			ids, seqs = append(ids, r.field(t, "MessageId")), append(seqs, r.field(t, "SequenceNumber"))
		}
		// A duplicate answers the first message's id and sequence number.
		if ids[2] != ids[0] || seqs[2] != seqs[0] || ids[1] == ids[0] || len(seqs[0]) != 20 || seqs[1] <= seqs[0] {
			t.Fatalf("ids %v, sequence numbers %v", ids, seqs)
		}
		r = srv.call("", "Action", "PublishBatch", "TopicArn", arn,
			"PublishBatchRequestEntries.member.1.Id", "a", "PublishBatchRequestEntries.member.1.Message", "d3",
			"PublishBatchRequestEntries.member.1.MessageGroupId", "g", "PublishBatchRequestEntries.member.1.MessageDeduplicationId", "d3")
		if r.status != 200 || r.field(t, "SequenceNumber") <= seqs[1] {
			t.Fatalf("batch: %s", r.body)
		}
		zero := 0
		msgs, err := srv.eng.ReceiveMessage(context.Background(), q, engine.ReceiveInput{MaxNumberOfMessages: 10, WaitTimeSeconds: &zero})
		if err != nil || len(msgs) != 3 || !strings.Contains(msgs[0].Body, `"Message":"d1"`) || !strings.Contains(msgs[1].Body, `"Message":"d2"`) {
			t.Fatalf("received %v %v", msgs, err)
		}
	})
}
