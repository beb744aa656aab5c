package e2e

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/sluice-mq/sluice/e2e/internal/sluiceproc"
	"github.com/sluice-mq/sluice/sdk/awshttp"
)

// sqsClient is aws-sdk-go-v2's SQS client for the dev server's tenant.
func sqsClient(p *sluiceproc.Process, secret string) *sqs.Client {
	return sqsClientFor(p, p.AccessKey, secret)
}

// sqsClientFor signs with any access key, without retries, over
// sdk/awshttp's transport as Sluice advises Go users (see
// docs/architecture.md §6, "Large replies").
func sqsClientFor(p *sluiceproc.Process, id, secret string) *sqs.Client {
	return sqs.New(sqs.Options{
		Region:           p.Region,
		BaseEndpoint:     aws.String(p.Endpoint),
		Credentials:      credentials.NewStaticCredentialsProvider(id, secret, ""),
		RetryMaxAttempts: 1,
		HTTPClient:       awshttp.NewClient(nil),
	})
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Fatalf("want %s, got %v", code, err)
	}
}

// mustOK(call())(t) returns call's result and fails t if call failed.
func mustOK[T any](out T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
}

// TestSDKEveryAction drives all 23 SQS actions against `sluice dev` with
// aws-sdk-go-v2 (JSON protocol, SigV4), happy path and an error each.
func TestSDKEveryAction(t *testing.T) {
	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	c := sqsClient(p, p.SecretKey)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// Queues: a source with a dead-letter queue, and a destination.
	dlq := mustOK(c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("e2e-dlq")}))(t).QueueUrl
	dlqArn := fmt.Sprintf("arn:aws:sqs:%s:%s:e2e-dlq", p.Region, p.AccountID)
	src := mustOK(c.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName: aws.String("e2e-src"),
		Attributes: map[string]string{
			"RedrivePolicy":     fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":1}`, dlqArn),
			"VisibilityTimeout": "0",
		},
		Tags: map[string]string{"suite": "e2e"},
	}))(t).QueueUrl
	if want := p.Endpoint + "/" + p.AccountID + "/e2e-src"; aws.ToString(src) != want {
		t.Fatalf("QueueUrl %s, want %s", aws.ToString(src), want)
	}
	_, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("bad name!")})
	wantCode(t, err, "InvalidParameterValue")

	got := mustOK(c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("e2e-src")}))(t)
	if aws.ToString(got.QueueUrl) != aws.ToString(src) {
		t.Fatalf("GetQueueUrl = %s", aws.ToString(got.QueueUrl))
	}
	_, err = c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("nope")})
	wantCode(t, err, "AWS.SimpleQueueService.NonExistentQueue")

	list := mustOK(c.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("e2e-")}))(t)
	if len(list.QueueUrls) != 2 {
		t.Fatalf("ListQueues = %v", list.QueueUrls)
	}
	_, err = c.ListQueues(ctx, &sqs.ListQueuesInput{MaxResults: aws.Int32(1001)})
	wantCode(t, err, "InvalidParameterValue")

	attrs := mustOK(c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: src, AttributeNames: []types.QueueAttributeName{"All"}}))(t)
	if attrs.Attributes["QueueArn"] != fmt.Sprintf("arn:aws:sqs:%s:%s:e2e-src", p.Region, p.AccountID) {
		t.Fatalf("attributes = %v", attrs.Attributes)
	}
	_, err = c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: src, AttributeNames: []types.QueueAttributeName{"Bogus"}})
	wantCode(t, err, "InvalidAttributeName")

	mustOK(c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: src, Attributes: map[string]string{"DelaySeconds": "0"}}))(t)
	_, err = c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: src, Attributes: map[string]string{"DelaySeconds": "901"}})
	wantCode(t, err, "InvalidAttributeValue")

	mustOK(c.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: src, Tags: map[string]string{"owner": "me"}}))(t)
	mustOK(c.UntagQueue(ctx, &sqs.UntagQueueInput{QueueUrl: src, TagKeys: []string{"suite"}}))(t)
	tags := mustOK(c.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: src}))(t)
	if len(tags.Tags) != 1 || tags.Tags["owner"] != "me" {
		t.Fatalf("tags = %v", tags.Tags)
	}
	_, err = c.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: aws.String(p.Endpoint + "/" + p.AccountID + "/nope")})
	wantCode(t, err, "AWS.SimpleQueueService.NonExistentQueue")
	_, err = c.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: src, Tags: map[string]string{"": "empty key"}})
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.UntagQueue(ctx, &sqs.UntagQueueInput{QueueUrl: aws.String(p.Endpoint + "/000000000000/e2e-src"), TagKeys: []string{"owner"}})
	wantCode(t, err, "AWS.SimpleQueueService.NonExistentQueue")

	mustOK(c.AddPermission(ctx, &sqs.AddPermissionInput{QueueUrl: src, Label: aws.String("l1"), AWSAccountIds: []string{"444455556666"}, Actions: []string{"SendMessage"}}))(t)
	_, err = c.AddPermission(ctx, &sqs.AddPermissionInput{QueueUrl: src, Label: aws.String("l1"), AWSAccountIds: []string{"444455556666"}, Actions: []string{"SendMessage"}})
	wantCode(t, err, "InvalidParameterValue")
	mustOK(c.RemovePermission(ctx, &sqs.RemovePermissionInput{QueueUrl: src, Label: aws.String("l1")}))(t)
	_, err = c.RemovePermission(ctx, &sqs.RemovePermissionInput{QueueUrl: src, Label: aws.String("l1")})
	wantCode(t, err, "InvalidParameterValue")

	// Messages.
	sent := mustOK(c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: src, MessageBody: aws.String("first"),
		MessageAttributes: map[string]types.MessageAttributeValue{"k": {DataType: aws.String("String"), StringValue: aws.String("v")}}}))(t)
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: src, MessageBody: aws.String("x"), DelaySeconds: 901})
	wantCode(t, err, "InvalidParameterValue")
	batch := mustOK(c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: src, Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("a"), MessageBody: aws.String("second")},
		{Id: aws.String("b"), MessageBody: aws.String("third")},
	}}))(t)
	if len(batch.Successful) != 2 {
		t.Fatalf("SendMessageBatch = %+v", batch)
	}
	_, err = c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: src, Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("a"), MessageBody: aws.String("x")}, {Id: aws.String("a"), MessageBody: aws.String("y")},
	}})
	wantCode(t, err, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct")

	recv := mustOK(c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: src, MaxNumberOfMessages: 10, WaitTimeSeconds: 2,
		MessageAttributeNames: []string{"All"}, VisibilityTimeout: 30}))(t)
	if len(recv.Messages) != 3 {
		t.Fatalf("received %d, want 3", len(recv.Messages))
	}
	_, err = c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: src, WaitTimeSeconds: 21})
	wantCode(t, err, "InvalidParameterValue")
	handles := map[string]string{}
	for _, m := range recv.Messages {
		handles[aws.ToString(m.Body)] = aws.ToString(m.ReceiptHandle)
	}
	if aws.ToString(recv.Messages[0].MessageId) == "" || handles["first"] == "" {
		t.Fatalf("messages = %+v", recv.Messages)
	}
	_ = sent

	mustOK(c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: src, ReceiptHandle: aws.String(handles["first"]), VisibilityTimeout: 60}))(t)
	_, err = c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: src, ReceiptHandle: aws.String(handles["first"]), VisibilityTimeout: 43201})
	wantCode(t, err, "InvalidParameterValue")
	vis := mustOK(c.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: src, Entries: []types.ChangeMessageVisibilityBatchRequestEntry{
		{Id: aws.String("s"), ReceiptHandle: aws.String(handles["second"]), VisibilityTimeout: 60},
		{Id: aws.String("x"), ReceiptHandle: aws.String("not-a-handle"), VisibilityTimeout: 60},
	}}))(t)
	if len(vis.Successful) != 1 || len(vis.Failed) != 1 {
		t.Fatalf("ChangeMessageVisibilityBatch = %+v", vis)
	}
	_, err = c.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: src, Entries: []types.ChangeMessageVisibilityBatchRequestEntry{}})
	wantCode(t, err, "AWS.SimpleQueueService.EmptyBatchRequest")

	mustOK(c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: src, ReceiptHandle: aws.String(handles["first"])}))(t)
	_, err = c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: src, ReceiptHandle: aws.String("garbage")})
	wantCode(t, err, "ReceiptHandleIsInvalid")
	del := mustOK(c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: src, Entries: []types.DeleteMessageBatchRequestEntry{
		{Id: aws.String("s"), ReceiptHandle: aws.String(handles["second"])},
	}}))(t)
	if len(del.Successful) != 1 {
		t.Fatalf("DeleteMessageBatch = %+v", del)
	}
	var eleven []types.DeleteMessageBatchRequestEntry
	for i := range 11 {
		eleven = append(eleven, types.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), ReceiptHandle: aws.String("h")})
	}
	_, err = c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: src, Entries: eleven})
	wantCode(t, err, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest")

	// "third" was received once with maxReceiveCount 1: make it visible
	// again and the next receive moves it to the dead-letter queue.
	mustOK(c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: src, ReceiptHandle: aws.String(handles["third"]), VisibilityTimeout: 0}))(t)
	if r := mustOK(c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: src, WaitTimeSeconds: 1}))(t); len(r.Messages) != 0 {
		t.Fatalf("message past maxReceiveCount was delivered: %+v", r.Messages)
	}
	sources := mustOK(c.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: dlq}))(t)
	if len(sources.QueueUrls) != 1 || sources.QueueUrls[0] != aws.ToString(src) {
		t.Fatalf("ListDeadLetterSourceQueues = %v", sources.QueueUrls)
	}
	_, err = c.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: aws.String(p.Endpoint + "/" + p.AccountID + "/nope")})
	wantCode(t, err, "AWS.SimpleQueueService.NonExistentQueue")

	// Move it back to its source.
	task := mustOK(c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(dlqArn)}))(t)
	if aws.ToString(task.TaskHandle) == "" {
		t.Fatal("no task handle")
	}
	_, err = c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(fmt.Sprintf("arn:aws:sqs:%s:%s:nope", p.Region, p.AccountID))})
	wantCode(t, err, "ResourceNotFoundException")
	var back *sqs.ReceiveMessageOutput
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		back = mustOK(c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: src, WaitTimeSeconds: 1, MessageSystemAttributeNames: []types.MessageSystemAttributeName{"All"}}))(t)
		if len(back.Messages) > 0 {
			break
		}
	}
	if back == nil || len(back.Messages) != 1 || aws.ToString(back.Messages[0].Body) != "third" {
		t.Fatalf("moved message not back in its source: %+v", back)
	}
	// The message can be back before the task has looked for more and
	// written COMPLETED, so wait for that before cancelling it.
	var tasks *sqs.ListMessageMoveTasksOutput
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		tasks = mustOK(c.ListMessageMoveTasks(ctx, &sqs.ListMessageMoveTasksInput{SourceArn: aws.String(dlqArn), MaxResults: aws.Int32(10)}))(t)
		if len(tasks.Results) != 1 || aws.ToString(tasks.Results[0].Status) != "RUNNING" || time.Now().After(deadline) {
			break
		}
	}
	if len(tasks.Results) != 1 || tasks.Results[0].ApproximateNumberOfMessagesMoved != 1 || aws.ToString(tasks.Results[0].Status) != "COMPLETED" {
		t.Fatalf("ListMessageMoveTasks = %+v, want one COMPLETED task that moved 1", tasks.Results)
	}
	_, err = c.ListMessageMoveTasks(ctx, &sqs.ListMessageMoveTasksInput{SourceArn: aws.String("arn:aws:sqs:us-east-1:000000000000:e2e-dlq")})
	wantCode(t, err, "ResourceNotFoundException")
	// Only a RUNNING task can be cancelled. The SDK decodes the JSON shape
	// (UnsupportedOperation) and takes the code from the query-compatible
	// header, as for every other SQS error.
	_, err = c.CancelMessageMoveTask(ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: task.TaskHandle})
	if _, ok := errors.AsType[*types.UnsupportedOperation](err); !ok {
		t.Fatalf("cancelling a completed task: %v, want *types.UnsupportedOperation", err)
	}
	wantCode(t, err, "AWS.SimpleQueueService.UnsupportedOperation")
	_, err = c.CancelMessageMoveTask(ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: aws.String("garbage")})
	wantCode(t, err, "InvalidParameterValue")

	mustOK(c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: src}))(t)
	_, err = c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: src})
	wantCode(t, err, "AWS.SimpleQueueService.PurgeQueueInProgress")

	mustOK(c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: src}))(t)
	_, err = c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: src})
	wantCode(t, err, "AWS.SimpleQueueService.NonExistentQueue")
}

// TestSigV4Rejections: the server checks signatures against the tenant's
// keys.
func TestSigV4Rejections(t *testing.T) {
	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	ctx := context.Background()

	_, err := sqsClient(p, p.SecretKey+"x").ListQueues(ctx, &sqs.ListQueuesInput{})
	wantCode(t, err, "SignatureDoesNotMatch")

	unknown := sqsClientFor(p, "AKIAUNKNOWNKEY000000", "secret")
	_, err = unknown.ListQueues(ctx, &sqs.ListQueuesInput{})
	wantCode(t, err, "InvalidClientTokenId")

	if _, err := sqsClient(p, p.SecretKey).ListQueues(ctx, &sqs.ListQueuesInput{}); err != nil {
		t.Fatalf("right key refused: %v", err)
	}
	if !strings.HasPrefix(p.Endpoint, "http://127.0.0.1:") {
		t.Fatalf("endpoint %s", p.Endpoint)
	}
}

// TestDevTenantAcrossRestarts: a restart on the same --data keeps the
// tenant, its key and its messages; --access-key/--secret-key fix the key.
func TestDevTenantAcrossRestarts(t *testing.T) {
	data := t.TempDir()
	ctx := context.Background()
	first := sluiceproc.StartDev(t, "--data", data)
	c := sqsClient(first, first.SecretKey)
	q := mustOK(c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("kept")}))(t).QueueUrl
	mustOK(c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String("still here")}))(t)
	if code, err := first.Stop(10 * time.Second); err != nil || code != 0 {
		t.Fatalf("stop: %d, %v", code, err)
	}

	second := sluiceproc.StartDev(t, "--data", data)
	if second.AccountID != first.AccountID || second.AccessKey != first.AccessKey || second.SecretKey != first.SecretKey {
		t.Fatalf("restart changed the tenant: %+v then %+v", first, second)
	}
	c = sqsClient(second, second.SecretKey)
	q = aws.String(second.Endpoint + "/" + second.AccountID + "/kept")
	got := mustOK(c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q, WaitTimeSeconds: 2}))(t)
	if len(got.Messages) != 1 || aws.ToString(got.Messages[0].Body) != "still here" {
		t.Fatalf("after restart received %+v", got.Messages)
	}
	if code, err := second.Stop(10 * time.Second); err != nil || code != 0 {
		t.Fatalf("stop: %d, %v", code, err)
	}

	fixed := sluiceproc.StartDev(t, "--data", data, "--access-key", "SCRIPTKEY0000001", "--secret-key", "script-secret-0123456789")
	if fixed.AccessKey != "SCRIPTKEY0000001" || fixed.SecretKey != "script-secret-0123456789" || fixed.AccountID != first.AccountID {
		t.Fatalf("fixed credentials not used: %+v", fixed)
	}
	if _, err := sqsClient(fixed, fixed.SecretKey).GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("kept")}); err != nil {
		t.Fatalf("fixed key refused: %v", err)
	}
}
