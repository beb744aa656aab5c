package sqsapi_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// TestJSONQueueActions drives the queue actions through aws-sdk-go-v2.
func TestJSONQueueActions(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *server) {
		c := s.client("KEYA")
		created, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{
			QueueName:  aws.String("orders"),
			Attributes: map[string]string{"VisibilityTimeout": "45", "DelaySeconds": "0"},
			Tags:       map[string]string{"team": "billing"},
		})
		if err != nil {
			t.Fatal(err)
		}
		wantURL := s.URL + "/" + accountA + "/orders"
		if aws.ToString(created.QueueUrl) != wantURL {
			t.Fatalf("QueueUrl = %s, want %s", aws.ToString(created.QueueUrl), wantURL)
		}
		got, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("orders")})
		if err != nil || aws.ToString(got.QueueUrl) != wantURL {
			t.Fatalf("GetQueueUrl = %v, %v", got, err)
		}
		// Any host in the URL reaches the queue: only the path counts.
		q := aws.String("https://sqs.example.com/" + accountA + "/orders")
		attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
		if err != nil {
			t.Fatal(err)
		}
		if attrs.Attributes["VisibilityTimeout"] != "45" || attrs.Attributes["QueueArn"] != "arn:aws:sqs:us-east-1:"+accountA+":orders" {
			t.Fatalf("attributes = %v", attrs.Attributes)
		}
		if _, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: q, Attributes: map[string]string{"MessageRetentionPeriod": "600"}}); err != nil {
			t.Fatal(err)
		}
		attrs, err = c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q, AttributeNames: []types.QueueAttributeName{"MessageRetentionPeriod"}})
		if err != nil || len(attrs.Attributes) != 1 || attrs.Attributes["MessageRetentionPeriod"] != "600" {
			t.Fatalf("after set: %v, %v", attrs, err)
		}

		for _, n := range []string{"orders-dlq", "payments"} {
			if _, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(n)}); err != nil {
				t.Fatal(err)
			}
		}
		list, err := c.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("orders")})
		if err != nil || len(list.QueueUrls) != 2 || list.NextToken != nil {
			t.Fatalf("ListQueues = %v, %v", list, err)
		}
		page, err := c.ListQueues(ctx, &sqs.ListQueuesInput{MaxResults: aws.Int32(2)})
		if err != nil || len(page.QueueUrls) != 2 || page.NextToken == nil {
			t.Fatalf("ListQueues page 1 = %v, %v", page, err)
		}
		page, err = c.ListQueues(ctx, &sqs.ListQueuesInput{MaxResults: aws.Int32(2), NextToken: page.NextToken})
		if err != nil || len(page.QueueUrls) != 1 || !strings.HasSuffix(page.QueueUrls[0], "/payments") {
			t.Fatalf("ListQueues page 2 = %v, %v", page, err)
		}

		dlqArn := "arn:aws:sqs:us-east-1:" + accountA + ":orders-dlq"
		if _, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: q, Attributes: map[string]string{
			"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"3"}`, dlqArn),
		}}); err != nil {
			t.Fatal(err)
		}
		sources, err := c.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: aws.String(s.URL + "/" + accountA + "/orders-dlq")})
		if err != nil || len(sources.QueueUrls) != 1 || sources.QueueUrls[0] != wantURL {
			t.Fatalf("ListDeadLetterSourceQueues = %v, %v", sources, err)
		}

		if _, err := c.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: q, Tags: map[string]string{"env": "test"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.UntagQueue(ctx, &sqs.UntagQueueInput{QueueUrl: q, TagKeys: []string{"team"}}); err != nil {
			t.Fatal(err)
		}
		tags, err := c.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: q})
		if err != nil || len(tags.Tags) != 1 || tags.Tags["env"] != "test" {
			t.Fatalf("ListQueueTags = %v, %v", tags, err)
		}

		if _, err := c.AddPermission(ctx, &sqs.AddPermissionInput{QueueUrl: q, Label: aws.String("share"), AWSAccountIds: []string{accountB}, Actions: []string{"SendMessage"}}); err != nil {
			t.Fatal(err)
		}
		attrs, err = c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q, AttributeNames: []types.QueueAttributeName{"Policy"}})
		if err != nil || !strings.Contains(attrs.Attributes["Policy"], `"Sid":"share"`) {
			t.Fatalf("Policy after AddPermission = %v, %v", attrs, err)
		}
		if _, err := c.RemovePermission(ctx, &sqs.RemovePermissionInput{QueueUrl: q, Label: aws.String("share")}); err != nil {
			t.Fatal(err)
		}
		_, err = c.RemovePermission(ctx, &sqs.RemovePermissionInput{QueueUrl: q, Label: aws.String("share")})
		wantAPIError(t, err, "InvalidParameterValue")

		if _, err := c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: q}); err != nil {
			t.Fatal(err)
		}
		_, err = c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: q})
		wantAPIError(t, err, "AWS.SimpleQueueService.PurgeQueueInProgress")

		if _, err := c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: q}); err != nil {
			t.Fatal(err)
		}
		_, err = c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("orders")})
		wantAPIError(t, err, "AWS.SimpleQueueService.NonExistentQueue")
		_, err = c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("orders")})
		wantAPIError(t, err, "AWS.SimpleQueueService.QueueDeletedRecently")
	})
}

// TestJSONMessageActions sends, receives, changes visibility and deletes
// through aws-sdk-go-v2, which checks every MD5 digest itself.
func TestJSONMessageActions(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *server) {
		c := s.client("KEYA")
		out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("work")})
		if err != nil {
			t.Fatal(err)
		}
		q := out.QueueUrl
		sent, err := c.SendMessage(ctx, &sqs.SendMessageInput{
			QueueUrl:    q,
			MessageBody: aws.String("hello \u00e9\u4e16\r\n<xml & stuff>"),
			MessageAttributes: map[string]types.MessageAttributeValue{
				"color": {DataType: aws.String("String"), StringValue: aws.String("blue")},
				"count": {DataType: aws.String("Number.int"), StringValue: aws.String("42")},
				"blob":  {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2, 255}},
			},
			MessageSystemAttributes: map[string]types.MessageSystemAttributeValue{
				"AWSTraceHeader": {DataType: aws.String("String"), StringValue: aws.String("Root=1-5759e988-bd862e3fe1be46a994272793")},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(sent.MD5OfMessageAttributes) == "" || aws.ToString(sent.MD5OfMessageSystemAttributes) == "" {
			t.Fatalf("send result lacks digests: %+v", sent)
		}
		recv, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    q,
			MaxNumberOfMessages:         10,
			MessageAttributeNames:       []string{"All"},
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(recv.Messages) != 1 {
			t.Fatalf("received %d messages, want 1", len(recv.Messages))
		}
		m := recv.Messages[0]
		if aws.ToString(m.MessageId) != aws.ToString(sent.MessageId) || aws.ToString(m.Body) != "hello \u00e9\u4e16\r\n<xml & stuff>" {
			t.Fatalf("message = %+v", m)
		}
		if string(m.MessageAttributes["blob"].BinaryValue) != "\x00\x01\x02\xff" || aws.ToString(m.MessageAttributes["count"].StringValue) != "42" {
			t.Fatalf("message attributes = %+v", m.MessageAttributes)
		}
		if m.Attributes["ApproximateReceiveCount"] != "1" || m.Attributes["SenderId"] != accountA || m.Attributes["AWSTraceHeader"] == "" {
			t.Fatalf("system attributes = %v", m.Attributes)
		}
		if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: q, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0}); err != nil {
			t.Fatal(err)
		}
		recv, err = c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q, WaitTimeSeconds: 1})
		if err != nil || len(recv.Messages) != 1 {
			t.Fatalf("receive after visibility 0: %v, %v", recv, err)
		}
		if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q, ReceiptHandle: recv.Messages[0].ReceiptHandle}); err != nil {
			t.Fatal(err)
		}

		var entries []types.SendMessageBatchRequestEntry
		for i := range 10 {
			entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint("e", i)), MessageBody: aws.String(fmt.Sprint("body ", i))})
		}
		entries[3].MessageBody = aws.String("bad \x01 char")
		// An empty body fails its entry with EmptyValue, as real SQS answers
		// (recorded by the Ballerina SQS connector's integration tests).
		entries[5].MessageBody = aws.String("")
		batch, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q, Entries: entries})
		if err != nil {
			t.Fatal(err)
		}
		failed := map[string]string{}
		for _, f := range batch.Failed {
			if !f.SenderFault {
				t.Errorf("entry %s failed without SenderFault", aws.ToString(f.Id))
			}
			failed[aws.ToString(f.Id)] = aws.ToString(f.Code)
		}
		if len(batch.Successful) != 8 || len(failed) != 2 || failed["e3"] != "InvalidMessageContents" || failed["e5"] != "EmptyValue" {
			t.Fatalf("SendMessageBatch = %+v / %+v", batch.Successful, batch.Failed)
		}
		var handles []string
		for len(handles) < 8 {
			r, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
			if err != nil || len(r.Messages) == 0 {
				t.Fatalf("receive batch: %v, %v", r, err)
			}
			for _, m := range r.Messages {
				handles = append(handles, aws.ToString(m.ReceiptHandle))
			}
		}
		vis, err := c.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: q, Entries: []types.ChangeMessageVisibilityBatchRequestEntry{
			{Id: aws.String("a"), ReceiptHandle: aws.String(handles[0]), VisibilityTimeout: 60},
			{Id: aws.String("b"), ReceiptHandle: aws.String("garbage"), VisibilityTimeout: 60},
		}})
		if err != nil || len(vis.Successful) != 1 || len(vis.Failed) != 1 || aws.ToString(vis.Failed[0].Code) != "ReceiptHandleIsInvalid" {
			t.Fatalf("ChangeMessageVisibilityBatch = %+v, %v", vis, err)
		}
		var del []types.DeleteMessageBatchRequestEntry
		for i, h := range handles {
			del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint("d", i)), ReceiptHandle: aws.String(h)})
		}
		dres, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: q, Entries: del})
		if err != nil || len(dres.Successful) != 8 || len(dres.Failed) != 0 {
			t.Fatalf("DeleteMessageBatch = %+v, %v", dres, err)
		}
	})
}

// TestJSONErrors checks codes the SDK sees for bad requests: the Query
// code via x-amzn-query-error, as SQS sends it to query-compatible clients.
func TestJSONErrors(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *server) {
		a, b := s.client("KEYA"), s.client("KEYB")
		out, err := a.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("private")})
		if err != nil {
			t.Fatal(err)
		}
		q := out.QueueUrl
		if _, err := a.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String("secret")}); err != nil {
			t.Fatal(err)
		}
		tenTimes := func(id string) []types.SendMessageBatchRequestEntry {
			var e []types.SendMessageBatchRequestEntry
			for range 11 {
				e = append(e, types.SendMessageBatchRequestEntry{Id: aws.String(id), MessageBody: aws.String("x")})
			}
			return e
		}
		big := strings.Repeat("x", 200<<10)
		var bigBatch []types.SendMessageBatchRequestEntry
		for i := range 6 {
			bigBatch = append(bigBatch, types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), MessageBody: aws.String(big)})
		}
		cases := []struct {
			name string
			call func() error
			code string
		}{
			{"missing queue", func() error {
				_, err := a.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("nope")})
				return err
			}, "AWS.SimpleQueueService.NonExistentQueue"},
			{"queue exists with other attributes", func() error {
				_, err := a.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("private"), Attributes: map[string]string{"DelaySeconds": "5"}})
				return err
			}, "QueueAlreadyExists"},
			{"bad attribute value", func() error {
				_, err := a.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: q, Attributes: map[string]string{"VisibilityTimeout": "43201"}})
				return err
			}, "InvalidAttributeValue"},
			{"unknown attribute", func() error {
				_, err := a.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: q, Attributes: map[string]string{"Colour": "1"}})
				return err
			}, "InvalidAttributeName"},
			{"zero MaxResults", func() error {
				_, err := a.ListQueues(ctx, &sqs.ListQueuesInput{MaxResults: aws.Int32(0)})
				return err
			}, "InvalidParameterValue"},
			{"too many receive", func() error {
				_, err := a.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q, MaxNumberOfMessages: 11})
				return err
			}, "InvalidParameterValue"},
			{"bad receipt handle", func() error {
				_, err := a.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q, ReceiptHandle: aws.String("nonsense")})
				return err
			}, "ReceiptHandleIsInvalid"},
			{"empty batch", func() error {
				_, err := a.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: q, Entries: []types.DeleteMessageBatchRequestEntry{}})
				return err
			}, "AWS.SimpleQueueService.EmptyBatchRequest"},
			{"too many entries", func() error {
				_, err := a.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q, Entries: tenTimes("x")[:11]})
				return err
			}, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"},
			{"repeated ids", func() error {
				_, err := a.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q, Entries: tenTimes("x")[:2]})
				return err
			}, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"},
			{"bad entry id", func() error {
				_, err := a.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q, Entries: tenTimes("bad id!")[:1]})
				return err
			}, "AWS.SimpleQueueService.InvalidBatchEntryId"},
			{"batch too long", func() error {
				_, err := a.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q, Entries: bigBatch})
				return err
			}, "AWS.SimpleQueueService.BatchRequestTooLong"},
			{"message too long", func() error {
				_, err := a.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String(strings.Repeat("x", 1<<20+1))})
				return err
			}, "InvalidParameterValue"},
			{"dedup id on standard queue", func() error {
				_, err := a.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String("x"), MessageDeduplicationId: aws.String("d")})
				return err
			}, "InvalidParameterValue"},
			{"malformed queue url", func() error {
				_, err := a.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(s.URL + "/just-a-name"), MessageBody: aws.String("x")})
				return err
			}, "InvalidAddress"},
			{"other tenant by url", func() error {
				_, err := b.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q})
				return err
			}, "AWS.SimpleQueueService.NonExistentQueue"},
			{"other tenant by owner id", func() error {
				_, err := b.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("private"), QueueOwnerAWSAccountId: aws.String(accountA)})
				return err
			}, "AWS.SimpleQueueService.NonExistentQueue"},
			{"other tenant purge", func() error {
				_, err := b.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: q})
				return err
			}, "AWS.SimpleQueueService.NonExistentQueue"},
			{"other tenant move task", func() error {
				_, err := b.ListMessageMoveTasks(ctx, &sqs.ListMessageMoveTasksInput{SourceArn: aws.String("arn:aws:sqs:us-east-1:" + accountA + ":private")})
				return err
			}, "ResourceNotFoundException"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) { wantAPIError(t, tc.call(), tc.code) })
		}
		// Tenant B's attempts changed nothing of A's.
		attrs, err := a.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q, AttributeNames: []types.QueueAttributeName{"ApproximateNumberOfMessages"}})
		if err != nil || attrs.Attributes["ApproximateNumberOfMessages"] != "1" {
			t.Fatalf("A's queue after B's attempts: %v, %v", attrs, err)
		}
		list, err := b.ListQueues(ctx, &sqs.ListQueuesInput{})
		if err != nil || len(list.QueueUrls) != 0 {
			t.Fatalf("B lists %v, %v", list, err)
		}
	})
}
