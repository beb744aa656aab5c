package sqsapi_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// FIFO queues through aws-sdk-go-v2 (which checks every MD5) and the Query
// protocol: sequence numbers, FIFO system attributes, attempt-id retries,
// and SQS's exact errors.
func TestFIFOThroughTheAPI(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *server) {
		c := s.client("KEYA")
		out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("orders.fifo"),
			Attributes: map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"}})
		if err != nil {
			t.Fatal(err)
		}
		q := out.QueueUrl
		sent, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String("first"), MessageGroupId: aws.String("customer-1")})
		if err != nil || len(aws.ToString(sent.SequenceNumber)) != 20 {
			t.Fatalf("send: %v %+v", err, sent)
		}
		batch, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q, Entries: []types.SendMessageBatchRequestEntry{
			{Id: aws.String("a"), MessageBody: aws.String("second"), MessageGroupId: aws.String("customer-1")},
			{Id: aws.String("b"), MessageBody: aws.String("first"), MessageGroupId: aws.String("customer-1"), MessageDeduplicationId: aws.String("explicit")},
		}})
		if err != nil || len(batch.Successful) != 2 || aws.ToString(batch.Successful[0].SequenceNumber) <= aws.ToString(sent.SequenceNumber) {
			t.Fatalf("batch: %v %+v", err, batch)
		}
		recv := func(attempt string) *sqs.ReceiveMessageOutput {
			got, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q, MaxNumberOfMessages: 10,
				MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
				ReceiveRequestAttemptId:     aws.String(attempt)})
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		got := recv("attempt-1")
		if len(got.Messages) != 3 {
			t.Fatalf("received %d messages, want 3", len(got.Messages))
		}
		for i, want := range []string{"first", "second", "first"} {
			m := got.Messages[i]
			if aws.ToString(m.Body) != want || m.Attributes["MessageGroupId"] != "customer-1" || m.Attributes["SequenceNumber"] == "" {
				t.Fatalf("message %d: %q %v", i, aws.ToString(m.Body), m.Attributes)
			}
		}
		if got.Messages[2].Attributes["MessageDeduplicationId"] != "explicit" {
			t.Fatalf("dedup id %v", got.Messages[2].Attributes)
		}
		if again := recv("attempt-1"); len(again.Messages) != 3 || aws.ToString(again.Messages[0].ReceiptHandle) != aws.ToString(got.Messages[0].ReceiptHandle) {
			t.Fatalf("attempt retry returned %d messages", len(again.Messages))
		}

		std, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("plain")})
		if err != nil {
			t.Fatal(err)
		}
		stdArn := "arn:aws:sqs:" + region + ":" + accountA + ":plain"
		_ = std
		for _, tc := range []struct {
			name string
			call func() error
			code string
			msg  string
		}{
			// No recorded SQS response found for SendMessage without a group
			// id; MissingParameter and its text are ours (moto answers the same).
			{"missing group id", func() error {
				_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String("x")})
				return err
			}, "MissingParameter", "The request must contain the parameter MessageGroupId."},
			// Recorded against real SQS: localstack/localstack
			// tests/aws/services/sqs/test_sqs.snapshot.json, key
			// "...::test_send_batch_missing_message_group_id_for_fifo_queue":
			// InvalidParameterValue, HTTP 400, this exact message.
			{"missing group id in a batch", func() error {
				_, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q, Entries: []types.SendMessageBatchRequestEntry{
					{Id: aws.String("a"), MessageBody: aws.String("x"), MessageGroupId: aws.String("g")},
					{Id: aws.String("b"), MessageBody: aws.String("y")},
				}})
				return err
			}, "InvalidParameterValue", "The request must contain the parameter MessageGroupId."},
			{"per-message delay", func() error {
				_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String("x"), MessageGroupId: aws.String("g"), DelaySeconds: 2})
				return err
			}, "InvalidParameterValue", "Value 2 for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type."},
			{"bad dedup id", func() error {
				_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String("x"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("group 123")})
				return err
			}, "InvalidParameterValue", "Value group 123 for parameter MessageDeduplicationId is invalid. Reason: MessageDeduplicationId can only include alphanumeric and punctuation characters. 1 to 128 in length."},
			{"standard dead-letter queue", func() error {
				_, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: q, Attributes: map[string]string{
					"RedrivePolicy": `{"deadLetterTargetArn":"` + stdArn + `","maxReceiveCount":3}`}})
				return err
			}, "InvalidParameterValue", "Reason: Dead-letter queue must be same type of queue as the source."},
			{"fifo name without FifoQueue", func() error {
				_, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("x.fifo")})
				return err
			}, "InvalidParameterValue", "Can only include alphanumeric characters"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := tc.call()
				wantAPIError(t, err, tc.code)
				if !strings.Contains(err.Error(), tc.msg) {
					t.Fatalf("message: %v, want %q", err, tc.msg)
				}
				var re *smithyhttp.ResponseError
				if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusBadRequest {
					t.Fatalf("status: %v", err)
				}
			})
		}
		// The Query protocol gives the same code.
		var e xmlError
		readXML(t, s.queryPost(t, "KEYA", action("SendMessage", "QueueUrl", aws.ToString(q), "MessageBody", "x")), 400, &e)
		if e.Error.Code != "MissingParameter" || e.Error.Message != "The request must contain the parameter MessageGroupId." {
			t.Fatalf("query error %+v", e)
		}
	})
}
