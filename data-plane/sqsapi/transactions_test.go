package sqsapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sluice-mq/sluice/data-plane/admission"
	"github.com/sluice-mq/sluice/data-plane/sqsapi"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
	"github.com/sluice-mq/sluice/tenants"
)

// The transaction actions in both protocols: shapes, errors, message
// quota and metering.
func TestTransactionActions(t *testing.T) {
	meter := &usageLog{}
	s := newServer(t, kvtest.OpenLocal(t), func(o *sqsapi.Options) {
		o.Auth = quotaAuth{tenants.Quotas{MaxMessageBytes: 100}}
		o.Gate = admission.New(admission.Options{Counts: o.Engine, Meter: meter})
	})
	c := s.client("KEYA")
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("txn")})
	if err != nil {
		t.Fatal(err)
	}
	q := aws.ToString(out.QueueUrl)
	call := func(action string, in map[string]string) (int, map[string]string) {
		t.Helper()
		b, _ := json.Marshal(in)
		status, body := s.jsonPost(t, action, b)
		var reply map[string]string
		_ = json.Unmarshal(body, &reply)
		return status, reply
	}
	status, half := call("SendHalfMessage", map[string]string{"QueueUrl": q, "MessageBody": "hello"})
	if status != 200 || half["TransactionId"] == "" || half["MessageId"] != half["TransactionId"] || half["MD5OfMessageBody"] != md5Hex("hello") {
		t.Fatalf("SendHalfMessage: %d %v", status, half)
	}
	tx := half["TransactionId"]
	for _, tc := range []struct {
		in         map[string]string
		status     int
		errorShape string
	}{
		{map[string]string{"QueueUrl": q, "TransactionId": tx}, 400, "MissingParameter"},
		{map[string]string{"QueueUrl": q, "TransactionId": tx, "Decision": "MAYBE"}, 400, "InvalidParameterValue"},
		{map[string]string{"QueueUrl": q, "Decision": "COMMIT"}, 400, "MissingParameter"},
		{map[string]string{"QueueUrl": q, "TransactionId": "x", "Decision": "COMMIT"}, 400, "InvalidTransactionId"},
		{map[string]string{"QueueUrl": q + "-missing", "TransactionId": tx, "Decision": "COMMIT"}, 400, "QueueDoesNotExist"},
		{map[string]string{"QueueUrl": q, "TransactionId": tx, "Decision": "COMMIT"}, 200, ""},
		{map[string]string{"QueueUrl": q, "TransactionId": tx, "Decision": "commit"}, 200, ""},
		{map[string]string{"QueueUrl": q, "TransactionId": tx, "Decision": "ROLLBACK"}, 400, "TransactionAlreadyCommitted"},
	} {
		status, reply := call("EndTransaction", tc.in)
		if status != tc.status || !strings.HasSuffix(reply["__type"], "#"+tc.errorShape) && tc.errorShape != "" {
			t.Errorf("EndTransaction %v: %d %v, want %d %s", tc.in, status, reply, tc.status, tc.errorShape)
		}
	}
	// The tenant's message-size quota holds for half messages.
	status, reply := call("SendHalfMessage", map[string]string{"QueueUrl": q, "MessageBody": strings.Repeat("x", 101)})
	if status != 400 || !strings.HasSuffix(reply["__type"], "#InvalidParameterValue") {
		t.Errorf("oversized half message: %d %v", status, reply)
	}
	// Query protocol.
	resp := s.queryPost(t, "KEYA", url.Values{"Action": {"SendHalfMessage"}, "QueueUrl": {q}, "MessageBody": {"by query"}})
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "<TransactionId>") {
		t.Fatalf("Query SendHalfMessage: %d %s", resp.StatusCode, body)
	}
	qtx := string(body)[strings.Index(string(body), "<TransactionId>")+len("<TransactionId>"):]
	qtx = qtx[:strings.Index(qtx, "<")]
	resp = s.queryPost(t, "KEYA", url.Values{"Action": {"EndTransaction"}, "QueueUrl": {q}, "TransactionId": {qtx}, "Decision": {"ROLLBACK"}})
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("Query EndTransaction: %d %s", resp.StatusCode, b)
	}
	got, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(q), MaxNumberOfMessages: 10})
	if err != nil || len(got.Messages) != 1 || aws.ToString(got.Messages[0].Body) != "hello" {
		t.Fatalf("receive: %+v, %v", got, err)
	}
	// Every call was metered, under its own action, with its bytes in.
	counts := map[string]int{}
	var in int64
	for _, u := range meter.take() {
		counts[u.Action]++
		if u.Action == "SendHalfMessage" {
			in += u.InBytes
		}
	}
	if counts["SendHalfMessage"] != 3 || counts["EndTransaction"] != 9 || in != int64(len("hello")+len("by query")) {
		t.Fatalf("metered %v, %d bytes in", counts, in)
	}
}
