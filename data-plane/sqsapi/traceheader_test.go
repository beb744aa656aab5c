package sqsapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

// amznTraceTransport sets X-Amzn-Trace-Id on every request, as the X-Ray
// SDK's instrumentation of an AWS SDK client does.
type amznTraceTransport struct {
	header string
	next   http.RoundTripper
}

func (t amznTraceTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Amzn-Trace-Id", t.header)
	return t.next.RoundTrip(r)
}

// TestHTTPTraceHeaderBecomesAWSTraceHeader: a message sent without the
// AWSTraceHeader system attribute gets the request's X-Amzn-Trace-Id
// header, in SendMessage and in each SendMessageBatch entry, through both
// protocols; a message's own attribute wins; no MD5OfMessageSystemAttributes
// is answered for a copied header.
func TestHTTPTraceHeaderBecomesAWSTraceHeader(t *testing.T) {
	const (
		httpHeader = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
		ownHeader  = "Root=1-67891233-abcdef012345678912345678;Parent=463ac35c9f6413ad;Sampled=0"
	)
	s := newServer(t, kvtest.Drivers()[0].Open(t))
	c := sqs.New(sqs.Options{
		Region: region, BaseEndpoint: aws.String(s.URL),
		Credentials: s.client("KEYA").Options().Credentials,
		HTTPClient:  &http.Client{Transport: amznTraceTransport{header: httpHeader, next: s.Client().Transport}},
	})
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("traced")})
	if err != nil {
		t.Fatal(err)
	}
	own := map[string]types.MessageSystemAttributeValue{
		"AWSTraceHeader": {DataType: aws.String("String"), StringValue: aws.String(ownHeader)},
	}
	want := map[string]string{} // body → AWSTraceHeader received

	sent, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("json-single")})
	if err != nil {
		t.Fatal(err)
	}
	if sent.MD5OfMessageSystemAttributes != nil {
		t.Errorf("MD5OfMessageSystemAttributes = %q for a copied header, want none", *sent.MD5OfMessageSystemAttributes)
	}
	want["json-single"] = httpHeader
	sent, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("json-own"), MessageSystemAttributes: own})
	if err != nil {
		t.Fatal(err)
	}
	if sent.MD5OfMessageSystemAttributes == nil {
		t.Error("no MD5OfMessageSystemAttributes for the message's own AWSTraceHeader")
	}
	want["json-own"] = ownHeader
	batch, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q.QueueUrl, Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("a"), MessageBody: aws.String("json-batch-http")},
		{Id: aws.String("b"), MessageBody: aws.String("json-batch-own"), MessageSystemAttributes: own},
	}})
	if err != nil || len(batch.Successful) != 2 {
		t.Fatalf("SendMessageBatch: %v, %+v", err, batch)
	}
	want["json-batch-http"], want["json-batch-own"] = httpHeader, ownHeader

	// The Query protocol, by hand (aws-sdk-go-v2 speaks JSON only).
	query := func(params url.Values) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, s.URL+"/", strings.NewReader(params.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=KEYA/20261121/"+region+"/sqs/aws4_request, SignedHeaders=host, Signature=0")
		req.Header.Set("X-Amzn-Trace-Id", httpHeader)
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", params.Get("Action"), resp.StatusCode)
		}
	}
	query(action("SendMessage", "QueueUrl", *q.QueueUrl, "MessageBody", "query-single"))
	want["query-single"] = httpHeader
	query(action("SendMessageBatch", "QueueUrl", *q.QueueUrl,
		"SendMessageBatchRequestEntry.1.Id", "a", "SendMessageBatchRequestEntry.1.MessageBody", "query-batch-http",
		"SendMessageBatchRequestEntry.2.Id", "b", "SendMessageBatchRequestEntry.2.MessageBody", "query-batch-own",
		"SendMessageBatchRequestEntry.2.MessageSystemAttribute.1.Name", "AWSTraceHeader",
		"SendMessageBatchRequestEntry.2.MessageSystemAttribute.1.Value.DataType", "String",
		"SendMessageBatchRequestEntry.2.MessageSystemAttribute.1.Value.StringValue", ownHeader))
	want["query-batch-http"], want["query-batch-own"] = httpHeader, ownHeader

	plain := s.client("KEYA") // no X-Amzn-Trace-Id: its sends carry none
	if _, err := plain.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("untraced")}); err != nil {
		t.Fatal(err)
	}
	want["untraced"] = ""

	got := map[string]string{}
	for range 20 {
		r, err := plain.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAWSTraceHeader}})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range r.Messages {
			got[*m.Body] = m.Attributes["AWSTraceHeader"]
		}
		if len(got) == len(want) {
			break
		}
	}
	if len(got) != len(want) {
		t.Fatalf("received %d of %d messages: %v", len(got), len(want), got)
	}
	for body, h := range want {
		if got[body] != h {
			t.Errorf("%s: AWSTraceHeader %q, want %q", body, got[body], h)
		}
	}
}
