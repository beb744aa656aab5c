package sqsapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

// batchEntry is one entry of a batch request in either protocol; the
// fields an action does not take are left out.
type batchEntry struct{ id, body string }

// batchRequest encodes entries for action as a JSON body and as Query
// parameters.
func batchRequest(action, queueURL string, entries []batchEntry) ([]byte, []string) {
	prefix := map[string]string{
		"SendMessageBatch":             "SendMessageBatchRequestEntry",
		"DeleteMessageBatch":           "DeleteMessageBatchRequestEntry",
		"ChangeMessageVisibilityBatch": "ChangeMessageVisibilityBatchRequestEntry",
	}[action]
	var js []map[string]any
	kv := []string{"QueueUrl", queueURL}
	for i, e := range entries {
		p := fmt.Sprintf("%s.%d.", prefix, i+1)
		m := map[string]any{"Id": e.id}
		kv = append(kv, p+"Id", e.id)
		switch action {
		case "SendMessageBatch":
			m["MessageBody"] = e.body
			kv = append(kv, p+"MessageBody", e.body)
		case "DeleteMessageBatch":
			m["ReceiptHandle"] = "h"
			kv = append(kv, p+"ReceiptHandle", "h")
		default:
			m["ReceiptHandle"], m["VisibilityTimeout"] = "h", 5
			kv = append(kv, p+"ReceiptHandle", "h", p+"VisibilityTimeout", "5")
		}
		js = append(js, m)
	}
	if js == nil {
		js = []map[string]any{}
	}
	body, _ := json.Marshal(map[string]any{"QueueUrl": queueURL, "Entries": js})
	return body, kv
}

// TestBatchRequestErrors: the whole-request batch errors of the three batch
// actions, with SQS's codes, HTTP status and texts, in both protocols.
// Texts: "Maximum number of entries per request are 10. You have sent 20.",
// the InvalidBatchEntryId text and "Batch requests cannot be longer than
// 262144 bytes. You have sent 262145 bytes." are recorded from real SQS
// (localstack/localstack tests/aws/services/sqs/test_sqs.snapshot.json,
// test_too_many_entries_in_batch_request, test_invalid_batch_id,
// test_send_message_batch_with_oversized_contents). EmptyBatchRequest's
// and BatchEntryIdsNotDistinct's texts: no recorded response found; ours.
func TestBatchRequestErrors(t *testing.T) {
	s := newServer(t, kvtest.OpenLocal(t))
	out, err := s.client("KEYA").CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("b")})
	if err != nil {
		t.Fatal(err)
	}
	q := aws.ToString(out.QueueUrl)
	n := func(count int) []batchEntry {
		var e []batchEntry
		for i := range count {
			e = append(e, batchEntry{id: fmt.Sprint("e", i), body: "x"})
		}
		return e
	}
	big := strings.Repeat("x", 200<<10)
	var tooLong []batchEntry
	for i := range 6 {
		tooLong = append(tooLong, batchEntry{id: fmt.Sprint(i), body: big})
	}
	const invalidID = "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long."
	for _, act := range []string{"SendMessageBatch", "DeleteMessageBatch", "ChangeMessageVisibilityBatch"} {
		cases := []struct {
			name    string
			entries []batchEntry
			code    string
			shape   string
			message string
		}{
			{"empty", nil, "AWS.SimpleQueueService.EmptyBatchRequest", "EmptyBatchRequest",
				"There should be at least one " + strings.TrimSuffix(act, "Batch") + "BatchRequestEntry in the request."},
			{"too many", n(20), "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", "TooManyEntriesInBatchRequest",
				"Maximum number of entries per request are 10. You have sent 20."},
			{"bad id", []batchEntry{{id: "invalid:id", body: "x"}}, "AWS.SimpleQueueService.InvalidBatchEntryId", "InvalidBatchEntryId", invalidID},
			{"long id", []batchEntry{{id: strings.Repeat("i", 81), body: "x"}}, "AWS.SimpleQueueService.InvalidBatchEntryId", "InvalidBatchEntryId", invalidID},
			{"repeated id", []batchEntry{{id: "a", body: "x"}, {id: "a", body: "y"}}, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "BatchEntryIdsNotDistinct",
				"Id a repeated."},
		}
		if act == "SendMessageBatch" {
			cases = append(cases, struct {
				name    string
				entries []batchEntry
				code    string
				shape   string
				message string
			}{"too long", tooLong, "AWS.SimpleQueueService.BatchRequestTooLong", "BatchRequestTooLong",
				fmt.Sprintf("Batch requests cannot be longer than 1048576 bytes. You have sent %d bytes.", 6*len(big))})
		}
		for _, tc := range cases {
			body, kv := batchRequest(act, q, tc.entries)
			t.Run(act+"/"+tc.name+"/json", func(t *testing.T) {
				status, reply := s.jsonPost(t, act, body)
				var e struct {
					Type    string `json:"__type"`
					Message string `json:"message"`
				}
				if err := json.Unmarshal(reply, &e); err != nil || status != http.StatusBadRequest ||
					e.Type != "com.amazonaws.sqs#"+tc.shape || e.Message != tc.message {
					t.Fatalf("%d %s; want 400 %s %q", status, reply, tc.shape, tc.message)
				}
			})
			t.Run(act+"/"+tc.name+"/query", func(t *testing.T) {
				wantQueryError(t, s.queryPost(t, "KEYA", action(act, kv...)), tc.code, 400, tc.message)
			})
		}
	}
}

// TestBatchEntryDelayFailsAlone: a SendMessageBatch entry with DelaySeconds
// over 900 fails in Failed, with SenderFault, while the others are sent,
// through aws-sdk-go-v2 and the Query protocol. The text is the engine's
// DelaySeconds text (no recorded SQS response for it found).
func TestBatchEntryDelayFailsAlone(t *testing.T) {
	s := newServer(t, kvtest.OpenLocal(t))
	c := s.client("KEYA")
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("delays")})
	if err != nil {
		t.Fatal(err)
	}
	const text = "Value 901 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900."
	r, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: out.QueueUrl, Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("late"), MessageBody: aws.String("x"), DelaySeconds: 901},
		{Id: aws.String("ok"), MessageBody: aws.String("y"), DelaySeconds: 900},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Successful) != 1 || aws.ToString(r.Successful[0].Id) != "ok" || len(r.Failed) != 1 {
		t.Fatalf("Successful %d, Failed %d", len(r.Successful), len(r.Failed))
	}
	f := r.Failed[0]
	if aws.ToString(f.Id) != "late" || aws.ToString(f.Code) != "InvalidParameterValue" || !f.SenderFault || aws.ToString(f.Message) != text {
		t.Fatalf("Failed[0] = %s %s %v %q", aws.ToString(f.Id), aws.ToString(f.Code), f.SenderFault, aws.ToString(f.Message))
	}

	var x xmlReply
	readXML(t, s.queryPost(t, "KEYA", action("SendMessageBatch", "QueueUrl", aws.ToString(out.QueueUrl),
		"SendMessageBatchRequestEntry.1.Id", "late", "SendMessageBatchRequestEntry.1.MessageBody", "x", "SendMessageBatchRequestEntry.1.DelaySeconds", "901",
		"SendMessageBatchRequestEntry.2.Id", "ok", "SendMessageBatchRequestEntry.2.MessageBody", "y")), 200, &x)
	if len(x.Result.SendEntries) != 1 || len(x.Result.Failed) != 1 || x.Result.Failed[0].ID != "late" ||
		x.Result.Failed[0].Code != "InvalidParameterValue" || !x.Result.Failed[0].SenderFault {
		t.Fatalf("Query reply = %+v", x.Result)
	}
}

// TestTagValidation: TagQueue without tags or with more than 50, and
// UntagQueue without keys, fail with 400 in both protocols.
func TestTagValidation(t *testing.T) {
	s := newServer(t, kvtest.OpenLocal(t))
	c := s.client("KEYA")
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("tags")})
	if err != nil {
		t.Fatal(err)
	}
	q := out.QueueUrl
	many := map[string]string{}
	var manyKV []string
	for i := range 51 {
		many[fmt.Sprint("k", i)] = "v"
		manyKV = append(manyKV, fmt.Sprintf("Tag.%d.Key", i+1), fmt.Sprint("k", i), fmt.Sprintf("Tag.%d.Value", i+1), "v")
	}
	const tooMany = "Too many tags: a queue can have at most 50."
	_, err = c.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: q, Tags: map[string]string{}})
	wantWireError(t, err, "MissingParameter", 400, "The request must contain the parameter Tags.")
	_, err = c.UntagQueue(ctx, &sqs.UntagQueueInput{QueueUrl: q, TagKeys: []string{}})
	wantWireError(t, err, "MissingParameter", 400, "The request must contain the parameter TagKeys.")
	_, err = c.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: q, Tags: many})
	wantWireError(t, err, "InvalidParameterValue", 400, tooMany)

	wantQueryError(t, s.queryPost(t, "KEYA", action("TagQueue", "QueueUrl", *q)), "MissingParameter", 400, "The request must contain the parameter Tags.")
	wantQueryError(t, s.queryPost(t, "KEYA", action("UntagQueue", "QueueUrl", *q)), "MissingParameter", 400, "The request must contain the parameter TagKeys.")
	wantQueryError(t, s.queryPost(t, "KEYA", action("TagQueue", append([]string{"QueueUrl", *q}, manyKV...)...)), "InvalidParameterValue", 400, tooMany)

	// 50 tags are fine, and the queue kept none of the refused ones.
	delete(many, "k50")
	if _, err := c.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: q, Tags: many}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: q})
	if err != nil || len(tags.Tags) != 50 {
		t.Fatalf("ListQueueTags = %d tags, %v", len(tags.Tags), err)
	}
}

// TestMessageErrorTexts: the texts of an invalid receipt handle, a
// non-ASCII attribute name, an invalid attribute data type and a too-large
// message, with code and status, through aws-sdk-go-v2 and Query.
// Sources: the receipt handle text is AWS's SQS developer guide
// (sqs-troubleshooting-api-errors); the data type text is recorded from
// real SQS by the Ballerina SQS connector's tests (msgattr/value.go); the
// too-large text is recorded ("Message must be shorter than 262144
// bytes.", localstack test_sqs.snapshot.json,
// test_send_message_with_updated_maximum_message_size); the attribute name
// text has no recorded source (msgattr/name.go).
func TestMessageErrorTexts(t *testing.T) {
	s := newServer(t, kvtest.OpenLocal(t))
	c := s.client("KEYA")
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("texts"), Attributes: map[string]string{"MaximumMessageSize": "1024"}})
	if err != nil {
		t.Fatal(err)
	}
	q := out.QueueUrl
	const (
		handleText = `The input receipt handle "nonsense" is not a valid receipt handle.`
		nameText   = "Message (user) attributes name can only contain upper and lower score characters, digits, periods, hyphens and underscores. "
		typeText   = "The type of message (user) attribute 'a' is invalid. You must use only the following supported type prefixes: Binary, Number, String."
		sizeText   = "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes."
	)
	_, err = c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q, ReceiptHandle: aws.String("nonsense")})
	wantWireError(t, err, "ReceiptHandleIsInvalid", 404, handleText)
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String("x"),
		MessageAttributes: map[string]types.MessageAttributeValue{"attrø": {DataType: aws.String("String"), StringValue: aws.String("v")}}})
	wantWireError(t, err, "InvalidParameterValue", 400, nameText)
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String("x"),
		MessageAttributes: map[string]types.MessageAttributeValue{"a": {DataType: aws.String("InvalidType"), StringValue: aws.String("v")}}})
	wantWireError(t, err, "InvalidParameterValue", 400, typeText)
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String(strings.Repeat("x", 1025))})
	wantWireError(t, err, "InvalidParameterValue", 400, sizeText)

	wantQueryError(t, s.queryPost(t, "KEYA", action("DeleteMessage", "QueueUrl", *q, "ReceiptHandle", "nonsense")), "ReceiptHandleIsInvalid", 404, handleText)
	wantQueryError(t, s.queryPost(t, "KEYA", action("SendMessage", "QueueUrl", *q, "MessageBody", "x",
		"MessageAttribute.1.Name", "attrø", "MessageAttribute.1.Value.DataType", "String", "MessageAttribute.1.Value.StringValue", "v")), "InvalidParameterValue", 400, nameText)
	wantQueryError(t, s.queryPost(t, "KEYA", action("SendMessage", "QueueUrl", *q, "MessageBody", "x",
		"MessageAttribute.1.Name", "a", "MessageAttribute.1.Value.DataType", "InvalidType", "MessageAttribute.1.Value.StringValue", "v")), "InvalidParameterValue", 400, typeText)
	wantQueryError(t, s.queryPost(t, "KEYA", action("SendMessage", "QueueUrl", *q, "MessageBody", strings.Repeat("x", 1025))), "InvalidParameterValue", 400, sizeText)
}
