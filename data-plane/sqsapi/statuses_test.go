package sqsapi_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

// wantWireError checks an SDK error's code, HTTP status and text.
func wantWireError(t testing.TB, err error, code string, status int, message string) {
	t.Helper()
	var ae smithy.APIError
	var re *awshttp.ResponseError
	if !errors.As(err, &ae) || !errors.As(err, &re) {
		t.Fatalf("want %s (%d), got %v", code, status, err)
	}
	if ae.ErrorCode() != code || re.HTTPStatusCode() != status || ae.ErrorMessage() != message {
		t.Fatalf("got %s, %d, %q; want %s, %d, %q", ae.ErrorCode(), re.HTTPStatusCode(), ae.ErrorMessage(), code, status, message)
	}
}

// wantQueryError checks a Query-protocol error reply.
func wantQueryError(t *testing.T, resp *http.Response, code string, status int, message string) {
	t.Helper()
	var e xmlError
	readXML(t, resp, status, &e)
	if e.Error.Code != code || e.Error.Message != message || e.Error.Type != "Sender" {
		t.Fatalf("error = %+v; want %s %q", e.Error, code, message)
	}
}

const (
	noQueueCode = "AWS.SimpleQueueService.NonExistentQueue"
	noQueueText = "The specified queue does not exist."
)

// TestMissingQueueIs400 calls every action that names a queue, for a queue
// that does not exist, through aws-sdk-go-v2 (JSON) and as Query form
// posts: SQS answers each with HTTP 400 and QueueDoesNotExist
// (AWS.SimpleQueueService.NonExistentQueue), per its Smithy model.
func TestMissingQueueIs400(t *testing.T) {
	s := newServer(t, kvtest.OpenLocal(t))
	c := s.client("KEYA")
	q := aws.String(s.URL + "/" + accountA + "/missing")
	handle := aws.String("AQEBnothing")
	calls := map[string]func() error{
		"GetQueueUrl": func() error {
			_, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("missing")})
			return err
		},
		"DeleteQueue": func() error { _, err := c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: q}); return err },
		"PurgeQueue":  func() error { _, err := c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: q}); return err },
		"GetQueueAttributes": func() error {
			_, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q})
			return err
		},
		"SetQueueAttributes": func() error {
			_, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: q, Attributes: map[string]string{"DelaySeconds": "1"}})
			return err
		},
		"ListDeadLetterSourceQueues": func() error {
			_, err := c.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: q})
			return err
		},
		"TagQueue": func() error {
			_, err := c.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: q, Tags: map[string]string{"a": "b"}})
			return err
		},
		"UntagQueue": func() error {
			_, err := c.UntagQueue(ctx, &sqs.UntagQueueInput{QueueUrl: q, TagKeys: []string{"a"}})
			return err
		},
		"ListQueueTags": func() error { _, err := c.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: q}); return err },
		"AddPermission": func() error {
			_, err := c.AddPermission(ctx, &sqs.AddPermissionInput{QueueUrl: q, Label: aws.String("l"), AWSAccountIds: []string{accountB}, Actions: []string{"SendMessage"}})
			return err
		},
		"RemovePermission": func() error {
			_, err := c.RemovePermission(ctx, &sqs.RemovePermissionInput{QueueUrl: q, Label: aws.String("l")})
			return err
		},
		"SendMessage": func() error {
			_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String("x")})
			return err
		},
		"SendMessageBatch": func() error {
			_, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q, Entries: []types.SendMessageBatchRequestEntry{{Id: aws.String("a"), MessageBody: aws.String("x")}}})
			return err
		},
		"ReceiveMessage": func() error { _, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q}); return err },
		"DeleteMessage": func() error {
			_, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q, ReceiptHandle: handle})
			return err
		},
		"DeleteMessageBatch": func() error {
			_, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: q, Entries: []types.DeleteMessageBatchRequestEntry{{Id: aws.String("a"), ReceiptHandle: handle}}})
			return err
		},
		"ChangeMessageVisibility": func() error {
			_, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: q, ReceiptHandle: handle, VisibilityTimeout: 5})
			return err
		},
		"ChangeMessageVisibilityBatch": func() error {
			_, err := c.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: q, Entries: []types.ChangeMessageVisibilityBatchRequestEntry{{Id: aws.String("a"), ReceiptHandle: handle, VisibilityTimeout: 5}}})
			return err
		},
	}
	for name, call := range calls {
		t.Run("json/"+name, func(t *testing.T) { wantWireError(t, call(), noQueueCode, 400, noQueueText) })
	}
	queryParams := map[string][]string{
		"GetQueueUrl":                  {"QueueName", "missing"},
		"DeleteQueue":                  nil,
		"PurgeQueue":                   nil,
		"GetQueueAttributes":           {"AttributeName.1", "All"},
		"SetQueueAttributes":           {"Attribute.1.Name", "DelaySeconds", "Attribute.1.Value", "1"},
		"ListDeadLetterSourceQueues":   nil,
		"TagQueue":                     {"Tag.1.Key", "a", "Tag.1.Value", "b"},
		"UntagQueue":                   {"TagKey.1", "a"},
		"ListQueueTags":                nil,
		"AddPermission":                {"Label", "l", "AWSAccountId.1", accountB, "ActionName.1", "SendMessage"},
		"RemovePermission":             {"Label", "l"},
		"SendMessage":                  {"MessageBody", "x"},
		"SendMessageBatch":             {"SendMessageBatchRequestEntry.1.Id", "a", "SendMessageBatchRequestEntry.1.MessageBody", "x"},
		"ReceiveMessage":               nil,
		"DeleteMessage":                {"ReceiptHandle", *handle},
		"DeleteMessageBatch":           {"DeleteMessageBatchRequestEntry.1.Id", "a", "DeleteMessageBatchRequestEntry.1.ReceiptHandle", *handle},
		"ChangeMessageVisibility":      {"ReceiptHandle", *handle, "VisibilityTimeout", "5"},
		"ChangeMessageVisibilityBatch": {"ChangeMessageVisibilityBatchRequestEntry.1.Id", "a", "ChangeMessageVisibilityBatchRequestEntry.1.ReceiptHandle", *handle, "ChangeMessageVisibilityBatchRequestEntry.1.VisibilityTimeout", "5"},
	}
	if len(queryParams) != len(calls) {
		t.Fatalf("%d Query cases for %d JSON cases", len(queryParams), len(calls))
	}
	for name, kv := range queryParams {
		t.Run("query/"+name, func(t *testing.T) {
			params := action(name, kv...)
			if name != "GetQueueUrl" {
				params.Set("QueueUrl", *q)
			}
			wantQueryError(t, s.queryPost(t, "KEYA", params), noQueueCode, 400, noQueueText)
		})
	}
}

// TestQueryErrorHeaderAlways: a JSON error carries x-amzn-query-error with
// the legacy Query code whether or not the request sent
// x-amzn-query-mode, as SQS sends it.
func TestQueryErrorHeaderAlways(t *testing.T) {
	s := newServer(t, kvtest.OpenLocal(t))
	for _, mode := range []string{"", "true"} {
		req, err := http.NewRequest(http.MethodPost, s.URL+"/", strings.NewReader(`{"QueueName":"missing"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Amz-Target", "AmazonSQS.GetQueueUrl")
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=KEYA/20261121/"+region+"/sqs/aws4_request, SignedHeaders=host, Signature=0")
		if mode != "" {
			req.Header.Set("x-amzn-query-mode", mode)
		}
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if got := resp.Header.Get("x-amzn-query-error"); resp.StatusCode != 400 || got != noQueueCode+";Sender" {
			t.Fatalf("query-mode %q: status %d, x-amzn-query-error %q", mode, resp.StatusCode, got)
		}
	}
	// Unknown to the model: a common error keeps its code.
	status, body := s.jsonPost(t, "GetQueueUrl", []byte(`{}`))
	if status != 400 || !strings.Contains(string(body), "com.amazon.coral.service#MissingParameter") {
		t.Fatalf("missing QueueName: %d %s", status, body)
	}
}
