package e2e

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sluice-mq/sluice/e2e/internal/sluiceproc"
)

// pushRequest is one request an endpoint got from Sluice.
type pushRequest struct {
	Header http.Header
	Body   []byte
	At     time.Time
}

func (r pushRequest) typ() string { return r.Header.Get("x-amz-sns-message-type") }

// endpoint is an http subscriber: it records every request and answers
// with the status status returns (200 when nil).
type endpoint struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   []pushRequest
	status func(r pushRequest, n int) int // n: notifications so far, this one included
	delay  time.Duration
}

func newEndpoint(t *testing.T, status func(r pushRequest, n int) int) *endpoint {
	e := &endpoint{status: status}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		pr := pushRequest{Header: r.Header.Clone(), Body: body, At: time.Now()}
		e.mu.Lock()
		e.reqs = append(e.reqs, pr)
		n := 0
		for _, q := range e.reqs {
			if q.typ() == "Notification" {
				n++
			}
		}
		delay := e.delay
		e.mu.Unlock()
		time.Sleep(delay)
		code := 200
		if e.status != nil && pr.typ() == "Notification" {
			code = e.status(pr, n)
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(e.Close)
	return e
}

func (e *endpoint) requests(typ string) []pushRequest {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []pushRequest
	for _, r := range e.reqs {
		if typ == "" || r.typ() == typ {
			out = append(out, r)
		}
	}
	return out
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// verifySignature checks X-Sluice-Signature as a receiver would, with
// nothing of Sluice's code: HMAC-SHA256 over "<t>." + body.
func verifySignature(t *testing.T, secret string, r pushRequest) {
	t.Helper()
	h := r.Header.Get("X-Sluice-Signature")
	var ts, sig string
	for part := range strings.SplitSeq(h, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		t.Fatalf("signature timestamp %q in %q", ts, h)
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(r.Body)
	if !hmac.Equal([]byte(sig), []byte(hex.EncodeToString(m.Sum(nil)))) {
		t.Fatalf("signature %q does not verify over %q", h, r.Body)
	}
}

type confirmationMsg struct {
	Type, MessageId, Token, TopicArn, Message, SubscribeURL, Timestamp string
}

// subscribeHTTP subscribes ep, checks the SubscriptionConfirmation it gets
// and confirms: by a GET of the SubscribeURL when viaURL, else with
// ConfirmSubscription. It returns the subscription ARN and its secret.
func subscribeHTTP(t *testing.T, s *sns.Client, topic *string, ep *endpoint, attrs map[string]string, viaURL bool) (arn, secret string) {
	t.Helper()
	ctx := context.Background()
	out := mustOK(s.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic, Protocol: aws.String("http"), Endpoint: aws.String(ep.URL), Attributes: attrs}))(t)
	if *out.SubscriptionArn != "pending confirmation" {
		t.Fatalf("Subscribe of http answered %q, want pending confirmation", *out.SubscriptionArn)
	}
	waitFor(t, 10*time.Second, "the SubscriptionConfirmation", func() bool { return len(ep.requests("SubscriptionConfirmation")) > 0 })
	req := ep.requests("SubscriptionConfirmation")[0]
	var c confirmationMsg
	if err := json.Unmarshal(req.Body, &c); err != nil {
		t.Fatalf("confirmation body %q: %v", req.Body, err)
	}
	if c.Type != "SubscriptionConfirmation" || c.TopicArn != *topic || c.Token == "" || c.MessageId == "" || c.Timestamp == "" ||
		!strings.Contains(c.SubscribeURL, "Action=ConfirmSubscription") || req.Header.Get("x-amz-sns-topic-arn") != *topic {
		t.Fatalf("confirmation %+v, headers %v", c, req.Header)
	}
	// Nothing is delivered while pending.
	attrsOut := mustOK(s.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: topic}))(t)
	pending := false
	for _, sub := range attrsOut.Subscriptions {
		if *sub.Endpoint == ep.URL {
			pending = *sub.SubscriptionArn == "PendingConfirmation"
		}
	}
	if !pending {
		t.Fatalf("subscription of %s not listed as PendingConfirmation: %+v", ep.URL, attrsOut.Subscriptions)
	}
	if viaURL {
		resp, err := http.Get(c.SubscribeURL)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), "<SubscriptionArn>") {
			t.Fatalf("GET SubscribeURL: %d %s", resp.StatusCode, b)
		}
		arn = string(b[strings.Index(string(b), "<SubscriptionArn>")+len("<SubscriptionArn>") : strings.Index(string(b), "</SubscriptionArn>")])
	} else {
		if _, err := s.ConfirmSubscription(ctx, &sns.ConfirmSubscriptionInput{TopicArn: topic, Token: aws.String("0" + c.Token[1:] + "x")}); err == nil {
			t.Fatal("a wrong token confirmed")
		}
		arn = *mustOK(s.ConfirmSubscription(ctx, &sns.ConfirmSubscriptionInput{TopicArn: topic, Token: aws.String(c.Token)}))(t).SubscriptionArn
	}
	got := mustOK(s.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(arn)}))(t).Attributes
	if got["PendingConfirmation"] != "false" || got["Protocol"] != "http" || got["SigningSecret"] == "" {
		t.Fatalf("attributes after confirming: %v", got)
	}
	verifySignature(t, got["SigningSecret"], req)
	return arn, got["SigningSecret"]
}

// TestSNSHTTPRetriesUntilDelivered: an endpoint failing its first 3
// notification attempts gets the message on the 4th, each attempt signed
// and spaced by the subscription's DeliveryPolicy, confirmed through the
// SubscribeURL.
func TestSNSHTTPRetriesUntilDelivered(t *testing.T) {
	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	ctx := context.Background()
	s := snsClientFor(p, p.AccessKey, p.SecretKey)
	topic := mustOK(s.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("hooks")}))(t).TopicArn
	ep := newEndpoint(t, func(_ pushRequest, n int) int {
		if n <= 3 {
			return 503
		}
		return 204
	})
	arn, secret := subscribeHTTP(t, s, topic, ep, map[string]string{
		"DeliveryPolicy": `{"healthyRetryPolicy":{"numRetries":5,"minDelayTarget":1,"maxDelayTarget":1}}`,
	}, true)
	id := *mustOK(s.Publish(ctx, &sns.PublishInput{TopicArn: topic, Message: aws.String("hello hooks"), Subject: aws.String("Hi")}))(t).MessageId
	waitFor(t, 30*time.Second, "4 attempts", func() bool { return len(ep.requests("Notification")) >= 4 })
	time.Sleep(2500 * time.Millisecond) // a 5th attempt would come within the 1 s delay
	got := ep.requests("Notification")
	if len(got) != 4 {
		t.Fatalf("%d attempts, want 4 (3 failures, then success)", len(got))
	}
	for i, r := range got {
		verifySignature(t, secret, r)
		if r.Header.Get("x-amz-sns-message-id") != id || r.Header.Get("x-amz-sns-subscription-arn") != arn {
			t.Fatalf("attempt %d headers %v", i, r.Header)
		}
		if i > 0 && r.At.Sub(got[i-1].At) < 900*time.Millisecond {
			t.Fatalf("attempt %d came %s after the previous one; the policy waits 1 s", i, r.At.Sub(got[i-1].At))
		}
	}
	var n struct{ Type, MessageId, TopicArn, Subject, Message string }
	if err := json.Unmarshal(got[3].Body, &n); err != nil || n.Type != "Notification" || n.MessageId != id || n.Message != "hello hooks" || n.Subject != "Hi" || n.TopicArn != *topic {
		t.Fatalf("notification %s (%v)", got[3].Body, err)
	}
}

// TestSNSHTTPDeadEndpointToDLQ: a dead endpoint's messages, once the
// CMQ BACKOFF_RETRY strategy gives up, land in the subscription's
// dead-letter queue; a raw subscription on the same topic still gets
// them.
func TestSNSHTTPDeadEndpointToDLQ(t *testing.T) {
	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	ctx := context.Background()
	s := snsClientFor(p, p.AccessKey, p.SecretKey)
	q := sqsClient(p, p.SecretKey)
	topic := mustOK(s.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("dead")}))(t).TopicArn
	dlqURL := mustOK(q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("hooks-dlq")}))(t).QueueUrl
	dlqARN := mustOK(q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: dlqURL, AttributeNames: []sqstypes.QueueAttributeName{"QueueArn"}}))(t).Attributes["QueueArn"]

	ep := newEndpoint(t, func(pushRequest, int) int { return 500 })
	arn, _ := subscribeHTTP(t, s, topic, ep, map[string]string{
		"NotifyStrategy": "BACKOFF_RETRY",
		"DeliveryPolicy": `{"healthyRetryPolicy":{"numRetries":2,"minDelayTarget":1,"maxDelayTarget":1}}`,
	}, false)
	mustOK(s.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{SubscriptionArn: aws.String(arn),
		AttributeName: aws.String("RedrivePolicy"), AttributeValue: aws.String(`{"deadLetterTargetArn":"` + dlqARN + `"}`)}))(t)
	// Now the endpoint dies altogether: connections are refused.
	ep.Close()
	for i := range 3 {
		mustOK(s.Publish(ctx, &sns.PublishInput{TopicArn: topic, Message: aws.String("lost " + strconv.Itoa(i))}))(t)
	}
	var bodies []string
	waitFor(t, 30*time.Second, "3 messages in the DLQ", func() bool {
		out := mustOK(q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: dlqURL, MaxNumberOfMessages: 10}))(t)
		for _, m := range out.Messages {
			bodies = append(bodies, *m.Body)
			mustOK(q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: dlqURL, ReceiptHandle: m.ReceiptHandle}))(t)
		}
		return len(bodies) >= 3
	})
	for _, b := range bodies {
		var n struct{ Type, Message string }
		if err := json.Unmarshal([]byte(b), &n); err != nil || n.Type != "Notification" || !strings.HasPrefix(n.Message, "lost ") {
			t.Fatalf("DLQ body %q", b)
		}
	}
	if len(bodies) != 3 {
		t.Fatalf("%d messages in the DLQ, want 3", len(bodies))
	}
}

// TestSNSHTTPSlowEndpointDoesNotDelayFast: one topic, a slow endpoint (5 s
// a request) and a fast one: the fast one gets every message at once.
func TestSNSHTTPSlowEndpointDoesNotDelayFast(t *testing.T) {
	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	ctx := context.Background()
	s := snsClientFor(p, p.AccessKey, p.SecretKey)
	topic := mustOK(s.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("mixed")}))(t).TopicArn
	slow := newEndpoint(t, nil)
	fast := newEndpoint(t, nil)
	subscribeHTTP(t, s, topic, slow, nil, false)
	subscribeHTTP(t, s, topic, fast, nil, true)
	slow.mu.Lock()
	slow.delay = 5 * time.Second
	slow.mu.Unlock()
	start := time.Now()
	for i := range 8 {
		mustOK(s.Publish(ctx, &sns.PublishInput{TopicArn: topic, Message: aws.String("m" + strconv.Itoa(i))}))(t)
	}
	waitFor(t, 4500*time.Millisecond, "the fast endpoint's 8 messages", func() bool { return len(fast.requests("Notification")) >= 8 })
	if n := len(slow.requests("Notification")); n > 4 {
		t.Fatalf("the slow endpoint took %d requests in %s; its concurrency is 4", n, time.Since(start))
	}
	waitFor(t, 20*time.Second, "the slow endpoint's 8 messages", func() bool { return len(slow.requests("Notification")) >= 8 })
}

// TestSNSHTTPSurvivesKill: a message whose Publish returned is delivered
// after the process is killed (SIGKILL) and started again on its data.
func TestSNSHTTPSurvivesKill(t *testing.T) {
	data := t.TempDir()
	p := sluiceproc.StartDev(t, "--data", data)
	ctx := context.Background()
	s := snsClientFor(p, p.AccessKey, p.SecretKey)
	topic := mustOK(s.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("durable")}))(t).TopicArn
	var up sync.Mutex
	healthy := false
	ep := newEndpoint(t, func(pushRequest, int) int {
		up.Lock()
		defer up.Unlock()
		if healthy {
			return 200
		}
		return 500
	})
	subscribeHTTP(t, s, topic, ep, map[string]string{
		"DeliveryPolicy": `{"healthyRetryPolicy":{"numRetries":20,"minDelayTarget":1,"maxDelayTarget":1}}`,
	}, false)
	id := *mustOK(s.Publish(ctx, &sns.PublishInput{TopicArn: topic, Message: aws.String("keep me")}))(t).MessageId
	p.Kill()
	up.Lock()
	healthy = true
	up.Unlock()
	killedAt := time.Now() // every attempt before this one failed
	sluiceproc.StartDev(t, "--data", data)
	waitFor(t, 60*time.Second, "delivery after the restart", func() bool {
		for _, r := range ep.requests("Notification") {
			if r.At.After(killedAt) && r.Header.Get("x-amz-sns-message-id") == id && strings.Contains(string(r.Body), "keep me") {
				return true
			}
		}
		return false
	})
}

// TestSNSHTTPRefusesForbiddenEndpoints: bad endpoints are refused at
// Subscribe; `sluice dev --push-allow-loopback=false` (as serve) never
// dials loopback, so the confirmation never arrives.
func TestSNSHTTPRefusesForbiddenEndpoints(t *testing.T) {
	p := sluiceproc.StartDev(t, "--data", t.TempDir(), "--push-allow-loopback=false")
	ctx := context.Background()
	s := snsClientFor(p, p.AccessKey, p.SecretKey)
	topic := mustOK(s.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("guarded")}))(t).TopicArn
	for _, e := range []struct{ proto, url string }{{"http", "https://example.com/"}, {"https", "ftp://x/"}, {"http", "not a url"}} {
		if _, err := s.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic, Protocol: aws.String(e.proto), Endpoint: aws.String(e.url)}); err == nil || !strings.Contains(err.Error(), "InvalidParameter") {
			t.Fatalf("Subscribe %s %s: %v", e.proto, e.url, err)
		}
	}
	ep := newEndpoint(t, nil)
	mustOK(s.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic, Protocol: aws.String("http"), Endpoint: aws.String(ep.URL)}))(t)
	time.Sleep(3 * time.Second)
	if n := len(ep.requests("")); n != 0 {
		t.Fatalf("a loopback endpoint got %d requests with loopback refused", n)
	}
}
