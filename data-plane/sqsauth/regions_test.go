package sqsauth_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// One endpoint serves several regions: aws-sdk-go-v2 clients configured
// for us-east-1 and eu-west-1, with the same key, create a queue of the
// same name and get two queues, each with its region in its ARN; each
// lists only its own, and messages stay in their region. A region the
// endpoint does not serve is refused as SQS refuses it.
func TestOneEndpointServesSeveralRegions(t *testing.T) {
	ctx := context.Background()
	s := newSignedServer(t, "us-east-1", "eu-west-1")
	srv := s.Server
	client := func(region string) *sqs.Client {
		return sqs.New(sqs.Options{
			Region:           region,
			BaseEndpoint:     aws.String(srv.URL),
			Credentials:      credentials.NewStaticCredentialsProvider(s.key, s.secret, ""),
			HTTPClient:       srv.Client(),
			RetryMaxAttempts: 1,
		})
	}
	us, eu := client("us-east-1"), client("eu-west-1")

	urls := map[string]string{}
	for region, c := range map[string]*sqs.Client{"us-east-1": us, "eu-west-1": eu} {
		out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("orders")})
		if err != nil {
			t.Fatalf("%s: create: %v", region, err)
		}
		// The URL is on the host the client called, whatever its region.
		if want := srv.URL + "/" + s.account + "/orders"; aws.ToString(out.QueueUrl) != want {
			t.Fatalf("%s: QueueUrl %s, want %s", region, aws.ToString(out.QueueUrl), want)
		}
		urls[region] = aws.ToString(out.QueueUrl)
		attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: out.QueueUrl, AttributeNames: []types.QueueAttributeName{"QueueArn"}})
		if want := "arn:aws:sqs:" + region + ":" + s.account + ":orders"; err != nil || attrs.Attributes["QueueArn"] != want {
			t.Fatalf("%s: QueueArn %v (%v), want %s", region, attrs, err, want)
		}
	}
	if _, err := eu.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("eu-only")}); err != nil {
		t.Fatal(err)
	}
	list := func(c *sqs.Client) string {
		out, err := c.ListQueues(ctx, &sqs.ListQueuesInput{})
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(out.QueueUrls, " ")
	}
	if got, want := list(us), srv.URL+"/"+s.account+"/orders"; got != want {
		t.Fatalf("us-east-1 lists %q, want %q", got, want)
	}
	if got, want := list(eu), srv.URL+"/"+s.account+"/eu-only "+srv.URL+"/"+s.account+"/orders"; got != want {
		t.Fatalf("eu-west-1 lists %q, want %q", got, want)
	}
	_, err := us.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("eu-only")})
	wantReply(t, err, "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")

	if _, err := us.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(urls["us-east-1"]), MessageBody: aws.String("to us-east-1")}); err != nil {
		t.Fatal(err)
	}
	got, err := eu.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(urls["eu-west-1"]), WaitTimeSeconds: 1})
	if err != nil || len(got.Messages) != 0 {
		t.Fatalf("eu-west-1 received %v, %v: a message crossed regions", got, err)
	}
	got, err = us.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(urls["us-east-1"]), WaitTimeSeconds: 1})
	if err != nil || len(got.Messages) != 1 || aws.ToString(got.Messages[0].Body) != "to us-east-1" {
		t.Fatalf("us-east-1 received %v, %v", got, err)
	}

	_, err = client("ap-south-1").ListQueues(ctx, &sqs.ListQueuesInput{})
	wantStatus(t, err, http.StatusForbidden)
	wantReply(t, err, "SignatureDoesNotMatch", "Credential should be scoped to a valid region, not 'ap-south-1'. ")
}

func wantReply(t *testing.T, err error, code, text string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code || ae.ErrorMessage() != text {
		t.Fatalf("want %s %q, got %v", code, text, err)
	}
}

func wantStatus(t *testing.T, err error, status int) {
	t.Helper()
	var re *smithyhttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != status {
		t.Fatalf("want HTTP %d, got %v", status, err)
	}
}
