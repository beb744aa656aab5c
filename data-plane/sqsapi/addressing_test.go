package sqsapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/sqsapi"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

// wantErrorReply checks an aws-sdk-go-v2 error's code, HTTP status and
// message.
func wantErrorReply(t testing.TB, err error, code string, status int, text string) {
	t.Helper()
	var ae smithy.APIError
	var re *smithyhttp.ResponseError
	if !errors.As(err, &ae) || !errors.As(err, &re) {
		t.Fatalf("want API error %s, got %v", code, err)
	}
	if ae.ErrorCode() != code || re.HTTPStatusCode() != status || !strings.Contains(ae.ErrorMessage(), text) {
		t.Fatalf("got %s %d %q, want %s %d %q", ae.ErrorCode(), re.HTTPStatusCode(), ae.ErrorMessage(), code, status, text)
	}
}

// TestQueueNameAsQueueURL: as on SQS, a bare queue name stands for the
// caller's queue of that name wherever a QueueUrl goes; what is neither a
// URL nor a name is still InvalidAddress.
func TestQueueNameAsQueueURL(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *server) {
		c := s.client("KEYA")
		if _, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("demo")}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String("demo"), MessageBody: aws.String("by name")}); err != nil {
			t.Fatalf("send by name: %v", err)
		}
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String("demo"), WaitTimeSeconds: 1})
		if err != nil || len(out.Messages) != 1 || aws.ToString(out.Messages[0].Body) != "by name" {
			t.Fatalf("receive by name: %+v, %v", out, err)
		}
		if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String("demo"), ReceiptHandle: out.Messages[0].ReceiptHandle}); err != nil {
			t.Fatal(err)
		}
		attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String("demo"), AttributeNames: []types.QueueAttributeName{"QueueArn"}})
		if err != nil || attrs.Attributes["QueueArn"] != "arn:aws:sqs:"+region+":"+accountA+":demo" {
			t.Fatalf("attributes by name: %v, %v", attrs, err)
		}
		// Another account's name is its own queue of that name: missing.
		_, err = s.client("KEYB").SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String("demo"), MessageBody: aws.String("x")})
		wantErrorReply(t, err, "AWS.SimpleQueueService.NonExistentQueue", http.StatusBadRequest, "does not exist")
		for _, garbage := range []string{"not a queue", "demo:9324", "démo", "http://"} {
			_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(garbage), MessageBody: aws.String("x")})
			wantErrorReply(t, err, "InvalidAddress", http.StatusNotFound, "The address "+garbage+" is not valid for this endpoint.")
		}
		if _, err := c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String("demo")}); err != nil {
			t.Fatalf("delete by name: %v", err)
		}
	})
}

// TestQueueRecreateDelayThroughAPI: with QueueRecreateDelay < 0 (the
// --queue-recreate-delay 0 of sluice dev and serve) a deleted queue's name
// can be taken again at once; by default SQS's window holds.
func TestQueueRecreateDelayThroughAPI(t *testing.T) {
	for _, tc := range []struct {
		name  string
		delay time.Duration
	}{{"default", 0}, {"none", -1}} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := engine.New(kvtest.OpenLocal(t), engine.Options{ReceiptKey: []byte("0123456789abcdef0123456789abcdef"), QueueRecreateDelay: tc.delay})
			if err != nil {
				t.Fatal(err)
			}
			e.Start(context.Background())
			t.Cleanup(func() { _ = e.Close() })
			h, err := sqsapi.New(sqsapi.Options{Engine: e, Catalog: e.Catalog(), Auth: keyAuth{"KEYA": accountA}})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(h)
			t.Cleanup(srv.Close)
			c := (&server{Server: srv, engine: e}).client("KEYA")
			q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("fixture")})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: q.QueueUrl}); err != nil {
				t.Fatal(err)
			}
			_, err = c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("fixture")})
			if tc.delay < 0 {
				if err != nil {
					t.Fatalf("recreate with no delay: %v", err)
				}
				return
			}
			wantErrorReply(t, err, "AWS.SimpleQueueService.QueueDeletedRecently", http.StatusBadRequest,
				"You must wait 60 seconds after deleting a queue before you can create another with the same name.")
		})
	}
}
