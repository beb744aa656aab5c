package e2e

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/sluice-mq/sluice/e2e/internal/sluiceproc"
)

// TestTenantIsolation: tenant B tries every SQS action on tenant A's
// queues — by URL, by ARN (redrive policy, move tasks), with A's receipt
// handles and task handle — and every control-plane route on A's account.
// Each attempt fails exactly as it would for a queue that does not exist,
// and A's queues, messages and counts are unchanged.
func TestTenantIsolation(t *testing.T) {
	data := t.TempDir()
	p := sluiceproc.StartDev(t, "--data", data)
	ctx := context.Background()
	a := sqsClient(p, p.SecretKey)
	acct := p.AccountID
	arn := func(account, name string) string { return fmt.Sprintf("arn:aws:sqs:%s:%s:%s", p.Region, account, name) }

	// A: a source queue with a DLQ, messages, one in flight, a move task.
	mustOK(a.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("a-dlq")}))(t)
	src := mustOK(a.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("a-src"), Attributes: map[string]string{
		"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":5}`, arn(acct, "a-dlq"))}}))(t).QueueUrl
	for i := range 5 {
		mustOK(a.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: src, MessageBody: aws.String(fmt.Sprint("a-secret-", i))}))(t)
	}
	got := mustOK(a.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: src, VisibilityTimeout: 600}))(t)
	if len(got.Messages) != 1 {
		t.Fatalf("A received %d", len(got.Messages))
	}
	handleA := got.Messages[0].ReceiptHandle
	task := mustOK(a.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(arn(acct, "a-dlq")), MaxNumberOfMessagesPerSecond: aws.Int32(1)}))(t)
	before := mustOK(a.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: src, AttributeNames: []types.QueueAttributeName{"All"}}))(t).Attributes

	// B: a second tenant made over REST, with a queue of its own.
	accountB, _, b := newTenant(t, p, `{}`)
	own := mustOK(b.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("b-own")}))(t).QueueUrl
	mustOK(b.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("b-dlq")}))(t)

	// Each attempt runs against A's real queue and against a name A does
	// not have: the answers must be identical.
	type attempt struct {
		action string
		call   func(name string) error
	}
	urlOf := func(name string) *string { return aws.String(p.Endpoint + "/" + acct + "/" + name) }
	attempts := []attempt{
		{"GetQueueUrl", func(n string) error {
			_, err := b.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(n), QueueOwnerAWSAccountId: aws.String(acct)})
			return err
		}},
		{"GetQueueAttributes", func(n string) error {
			_, err := b.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: urlOf(n), AttributeNames: []types.QueueAttributeName{"All"}})
			return err
		}},
		{"SetQueueAttributes", func(n string) error {
			_, err := b.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: urlOf(n), Attributes: map[string]string{"DelaySeconds": "900"}})
			return err
		}},
		{"ListDeadLetterSourceQueues", func(n string) error {
			_, err := b.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: urlOf(n)})
			return err
		}},
		{"TagQueue", func(n string) error {
			_, err := b.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: urlOf(n), Tags: map[string]string{"x": "y"}})
			return err
		}},
		{"UntagQueue", func(n string) error {
			_, err := b.UntagQueue(ctx, &sqs.UntagQueueInput{QueueUrl: urlOf(n), TagKeys: []string{"x"}})
			return err
		}},
		{"ListQueueTags", func(n string) error {
			_, err := b.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: urlOf(n)})
			return err
		}},
		{"AddPermission", func(n string) error {
			_, err := b.AddPermission(ctx, &sqs.AddPermissionInput{QueueUrl: urlOf(n), Label: aws.String("l"), AWSAccountIds: []string{accountB}, Actions: []string{"*"}})
			return err
		}},
		{"RemovePermission", func(n string) error {
			_, err := b.RemovePermission(ctx, &sqs.RemovePermissionInput{QueueUrl: urlOf(n), Label: aws.String("l")})
			return err
		}},
		{"SendMessage", func(n string) error {
			_, err := b.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: urlOf(n), MessageBody: aws.String("intrusion")})
			return err
		}},
		{"SendMessageBatch", func(n string) error {
			_, err := b.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: urlOf(n), Entries: []types.SendMessageBatchRequestEntry{{Id: aws.String("1"), MessageBody: aws.String("x")}}})
			return err
		}},
		{"ReceiveMessage", func(n string) error {
			_, err := b.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: urlOf(n)})
			return err
		}},
		{"DeleteMessage", func(n string) error {
			_, err := b.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: urlOf(n), ReceiptHandle: handleA})
			return err
		}},
		{"DeleteMessageBatch", func(n string) error {
			_, err := b.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: urlOf(n), Entries: []types.DeleteMessageBatchRequestEntry{{Id: aws.String("1"), ReceiptHandle: handleA}}})
			return err
		}},
		{"ChangeMessageVisibility", func(n string) error {
			_, err := b.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: urlOf(n), ReceiptHandle: handleA, VisibilityTimeout: 0})
			return err
		}},
		{"ChangeMessageVisibilityBatch", func(n string) error {
			_, err := b.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: urlOf(n), Entries: []types.ChangeMessageVisibilityBatchRequestEntry{{Id: aws.String("1"), ReceiptHandle: handleA}}})
			return err
		}},
		{"StartMessageMoveTask (source)", func(n string) error {
			_, err := b.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(arn(acct, n))})
			return err
		}},
		{"StartMessageMoveTask (destination)", func(n string) error {
			_, err := b.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(arn(accountB, "b-dlq")), DestinationArn: aws.String(arn(acct, n))})
			return err
		}},
		{"ListMessageMoveTasks", func(n string) error {
			_, err := b.ListMessageMoveTasks(ctx, &sqs.ListMessageMoveTasksInput{SourceArn: aws.String(arn(acct, n))})
			return err
		}},
		{"RedrivePolicy naming A's queue", func(n string) error {
			_, err := b.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: own, Attributes: map[string]string{
				"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":1}`, arn(acct, n))}})
			return err
		}},
		// Destructive ones last, so a leak in them cannot hide another.
		{"PurgeQueue", func(n string) error {
			_, err := b.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: urlOf(n)})
			return err
		}},
		{"DeleteQueue", func(n string) error {
			_, err := b.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: urlOf(n)})
			return err
		}},
	}
	describe := func(err error) string {
		var ae smithy.APIError
		if !errors.As(err, &ae) {
			return fmt.Sprintf("not an API error: %v", err)
		}
		// The ARN or name in a message is B's own input; normalise it.
		msg := strings.NewReplacer("a-src", "NAME", "a-dlq", "NAME", "no-such-queue", "NAME").Replace(ae.ErrorMessage())
		return ae.ErrorCode() + ": " + msg
	}
	for _, at := range attempts {
		for _, real := range []string{"a-src", "a-dlq"} {
			errReal, errMissing := at.call(real), at.call("no-such-queue")
			if errReal == nil {
				t.Errorf("%s on A's %s succeeded", at.action, real)
				continue
			}
			if describe(errReal) != describe(errMissing) {
				t.Errorf("%s tells A's %s from a missing queue:\n  real:    %s\n  missing: %s", at.action, real, describe(errReal), describe(errMissing))
			}
		}
	}
	// A's receipt handle on B's own queue, and A's move-task handle.
	_, err := b.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: own, ReceiptHandle: handleA})
	wantCode(t, err, "ReceiptHandleIsInvalid")
	_, err = b.CancelMessageMoveTask(ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: task.TaskHandle})
	wantCode(t, err, "ResourceNotFoundException")
	// B lists only its own queues.
	list := mustOK(b.ListQueues(ctx, &sqs.ListQueuesInput{}))(t)
	for _, u := range list.QueueUrls {
		if !strings.Contains(u, "/"+accountB+"/") {
			t.Errorf("B lists %s", u)
		}
	}

	// Every control-plane route on A's account, with B's tenant-admin token.
	code, out := sluiceproc.Run(t, 20*time.Second, "token", "create", "--data", data, "--role", "tenant-admin", "--tenant", accountB)
	if code != 0 {
		t.Fatalf("token create: %s", out)
	}
	admin := strings.TrimSpace(out)
	for _, r := range []struct{ method, path, body string }{
		{"GET", "/v1/tenants/" + acct, ""},
		{"PATCH", "/v1/tenants/" + acct, `{"plan":"free"}`},
		{"DELETE", "/v1/tenants/" + acct, ""},
		{"POST", "/v1/tenants/" + acct + "/suspend", ""},
		{"POST", "/v1/tenants/" + acct + "/resume", ""},
		{"POST", "/v1/tenants/" + acct + "/keys", ""},
		{"GET", "/v1/tenants/" + acct + "/keys", ""},
		{"PATCH", "/v1/tenants/" + acct + "/keys/" + p.AccessKey, `{"status":"inactive"}`},
		{"DELETE", "/v1/tenants/" + acct + "/keys/" + p.AccessKey, ""},
		{"POST", "/v1/tenants/" + acct + "/queues", `{"name":"x"}`},
		{"GET", "/v1/tenants/" + acct + "/queues", ""},
		{"GET", "/v1/tenants/" + acct + "/queues/a-src", ""},
		{"GET", "/v1/tenants/" + acct + "/queues/no-such-queue", ""},
		{"PATCH", "/v1/tenants/" + acct + "/queues/a-src", `{"attributes":{"DelaySeconds":"900"}}`},
		{"DELETE", "/v1/tenants/" + acct + "/queues/a-src", ""},
		{"GET", "/v1/tenants/" + acct + "/usage", ""},
		{"GET", "/v1/tenants/" + acct + "/usage?granularity=hour&groupBy=queue,action", ""},
		{"GET", "/v1/tenants/" + acct + "/invoices", ""},
		{"GET", "/v1/tenants/" + acct + "/invoices/inv_" + acct + "_" + time.Now().UTC().Format("2006-01"), ""},
		{"PUT", "/v1/plans/standard", `{"freeRequestUnits":0}`},
		{"POST", "/v1/tenants", `{}`},
		{"GET", "/v1/tenants", ""},
	} {
		rest(t, p, admin, r.method, r.path, r.body, 403, nil)
	}

	// A's queue is as it was: same counts, same attributes, its messages.
	after := mustOK(a.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: src, AttributeNames: []types.QueueAttributeName{"All"}}))(t).Attributes
	for _, k := range []string{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "DelaySeconds", "LastModifiedTimestamp", "RedrivePolicy", "Policy"} {
		if before[k] != after[k] {
			t.Errorf("A's %s changed: %q -> %q", k, before[k], after[k])
		}
	}
	if tags := mustOK(a.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: src}))(t).Tags; len(tags) != 0 {
		t.Errorf("A's tags changed: %v", tags)
	}
	bodies := map[string]bool{}
	for len(bodies) < 4 {
		r := mustOK(a.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: src, MaxNumberOfMessages: 10, WaitTimeSeconds: 1}))(t)
		if len(r.Messages) == 0 {
			break
		}
		for _, m := range r.Messages {
			bodies[aws.ToString(m.Body)] = true
		}
	}
	if len(bodies) != 4 {
		t.Errorf("A received %v after B's attempts, want its 4 visible messages", bodies)
	}
	for body := range bodies {
		if !strings.HasPrefix(body, "a-secret-") {
			t.Errorf("A's queue holds %q", body)
		}
	}
}
