package nullsqs_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/sluice-mq/sluice/e2e/bench/nullsqs"
	"github.com/sluice-mq/sluice/sdk/awshttp"
)

func start(t *testing.T, opts nullsqs.Options) (*nullsqs.Server, *sqs.Client) {
	t.Helper()
	srv, err := nullsqs.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	})
	client := sqs.New(sqs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.Endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("k", "s", ""),
		HTTPClient:   awshttp.NewClient(nil),
	})
	return srv, client
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// The real SDK checks MD5s of sent and received bodies and batch entry
// ids; every action the bench uses must pass those checks.
func TestRealSDKAcceptsEveryReply(t *testing.T) {
	srv, client := start(t, nullsqs.Options{MessageSize: 300})
	ctx := testContext(t)

	created, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("q")})
	if err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
	got, err := client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("q")})
	if err != nil {
		t.Fatalf("GetQueueUrl: %v", err)
	}
	url := got.QueueUrl
	if aws.ToString(url) != aws.ToString(created.QueueUrl) || !strings.HasSuffix(aws.ToString(url), "/"+nullsqs.AccountID+"/q") {
		t.Fatalf("queue URLs: create %q, get %q", aws.ToString(created.QueueUrl), aws.ToString(url))
	}

	if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: url, MessageBody: aws.String("hello")}); err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	entries := []types.SendMessageBatchRequestEntry{
		{Id: aws.String("a"), MessageBody: aws.String("one")},
		{Id: aws.String("b"), MessageBody: aws.String("two")},
	}
	sent, err := client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: url, Entries: entries})
	if err != nil {
		t.Fatalf("SendMessageBatch: %v", err)
	}
	if len(sent.Successful) != 2 || aws.ToString(sent.Successful[0].Id) != "a" || aws.ToString(sent.Successful[1].Id) != "b" {
		t.Fatalf("SendMessageBatch entries: %+v", sent.Successful)
	}

	received, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, MaxNumberOfMessages: 10})
	if err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	if len(received.Messages) != 3 {
		t.Fatalf("received %d messages, want the 3 sent", len(received.Messages))
	}
	for _, m := range received.Messages {
		if len(aws.ToString(m.Body)) != 300 {
			t.Fatalf("canned body of %d bytes, want 300", len(aws.ToString(m.Body)))
		}
	}

	if _, err := client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: url, ReceiptHandle: received.Messages[0].ReceiptHandle}); err != nil {
		t.Fatalf("DeleteMessage: %v", err)
	}
	deleted, err := client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: url, Entries: []types.DeleteMessageBatchRequestEntry{
		{Id: aws.String("x"), ReceiptHandle: received.Messages[1].ReceiptHandle},
		{Id: aws.String("y"), ReceiptHandle: received.Messages[2].ReceiptHandle},
	}})
	if err != nil {
		t.Fatalf("DeleteMessageBatch: %v", err)
	}
	if len(deleted.Successful) != 2 || aws.ToString(deleted.Successful[1].Id) != "y" {
		t.Fatalf("DeleteMessageBatch entries: %+v", deleted.Successful)
	}

	if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: url, MessageBody: aws.String("left")}); err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	attrs, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: url,
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
	if err != nil {
		t.Fatalf("GetQueueAttributes: %v", err)
	}
	if n := attrs.Attributes["ApproximateNumberOfMessages"]; n != "1" {
		t.Fatalf("ApproximateNumberOfMessages = %q, want 1", n)
	}
	if _, err := client.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: url}); err != nil {
		t.Fatalf("PurgeQueue: %v", err)
	}
	empty, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url})
	if err != nil || len(empty.Messages) != 0 {
		t.Fatalf("ReceiveMessage after purge: %d messages, %v", len(empty.Messages), err)
	}
	if _, err := client.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: url}); err != nil {
		t.Fatalf("DeleteQueue: %v", err)
	}
	if st := srv.Stats(); st.Sent != 4 || st.Received != 3 {
		t.Fatalf("stats %+v, want 4 sent and 3 received", st)
	}
}

// Bodies from a BodySource reach the client with MD5s it accepts.
func TestBodySourceBodiesPassChecksums(t *testing.T) {
	_, client := start(t, nullsqs.Options{Bodies: func(n int64) string { return strings.Repeat("b", int(n)+1) }})
	ctx := testContext(t)
	url := aws.String("http://unused/000000000000/q")
	entries := make([]types.SendMessageBatchRequestEntry, 10)
	for i := range entries {
		entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(string(rune('a' + i))), MessageBody: aws.String("m")}
	}
	if _, err := client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: url, Entries: entries}); err != nil {
		t.Fatal(err)
	}
	out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, MaxNumberOfMessages: 10})
	if err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	for i, m := range out.Messages {
		if len(aws.ToString(m.Body)) != i+1 {
			t.Fatalf("message %d has body %q", i, aws.ToString(m.Body))
		}
	}
}

// A long poll on an empty queue returns as soon as a message is sent.
func TestLongPollWakesOnSend(t *testing.T) {
	_, client := start(t, nullsqs.Options{})
	ctx := testContext(t)
	url := aws.String("http://unused/000000000000/q")
	go func() {
		time.Sleep(100 * time.Millisecond)
		_, _ = client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: url, MessageBody: aws.String("late")})
	}()
	began := time.Now()
	out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, WaitTimeSeconds: 5})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("long poll: %d messages, %v", len(out.Messages), err)
	}
	if took := time.Since(began); took > 2*time.Second {
		t.Fatalf("long poll took %v: not woken by the send", took)
	}
}

func TestUnknownActionIsAnSQSError(t *testing.T) {
	_, client := start(t, nullsqs.Options{})
	_, err := client.ListQueues(testContext(t), &sqs.ListQueuesInput{})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "UnsupportedOperation" {
		t.Fatalf("ListQueues: %v, want an UnsupportedOperation API error", err)
	}
}

// Guards the tests above: the SDK does check MD5s, so passing means the
// server's are right.
func TestSDKRejectsAWrongMD5(t *testing.T) {
	liar := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = io.WriteString(w, `{"MessageId":"m","MD5OfMessageBody":"00000000000000000000000000000000"}`)
	}))
	defer liar.Close()
	client := sqs.New(sqs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(liar.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("k", "s", ""),
		HTTPClient:   awshttp.NewClient(nil),
	})
	_, err := client.SendMessage(testContext(t), &sqs.SendMessageInput{QueueUrl: aws.String(liar.URL + "/q"), MessageBody: aws.String("x")})
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "checksum") {
		t.Fatalf("SendMessage with a wrong MD5 in the reply: %v, want a checksum error", err)
	}
}
