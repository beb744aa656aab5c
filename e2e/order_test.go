package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sluice-mq/sluice/e2e/internal/sluiceproc"
)

// TestQuietQueueKeepsSendOrder: a lone consumer of a standard queue
// nobody else reads receives in send order through aws-sdk-go-v2, 1 and
// 10 at a time, for messages sent one by one and in batches (entries in
// entry order), as it would from SQS.
func TestQuietQueueKeepsSendOrder(t *testing.T) {
	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	c := sqsClient(p, p.SecretKey)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, max := range []int32{1, 10} {
		q := mustOK(c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(fmt.Sprintf("order-%d", max))}))(t).QueueUrl
		var want []string
		for i := range 25 {
			want = append(want, fmt.Sprintf("single %02d", i))
			mustOK(c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String(want[len(want)-1])}))(t)
		}
		for b := range 3 {
			var entries []types.SendMessageBatchRequestEntry
			for i := range 10 {
				body := fmt.Sprintf("batch %d entry %d", b, i)
				want = append(want, body)
				entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), MessageBody: aws.String(body)})
			}
			if out := mustOK(c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q, Entries: entries}))(t); len(out.Failed) > 0 {
				t.Fatalf("batch failed: %+v", out.Failed)
			}
		}
		var got []string
		for len(got) < len(want) {
			out := mustOK(c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q, MaxNumberOfMessages: max, WaitTimeSeconds: 1}))(t)
			if len(out.Messages) == 0 {
				t.Fatalf("receive %d: queue dry after %d of %d", max, len(got), len(want))
			}
			for _, m := range out.Messages {
				got = append(got, aws.ToString(m.Body))
				mustOK(c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q, ReceiptHandle: m.ReceiptHandle}))(t)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("receive %d at a time: got\n%s\nwant\n%s", max, strings.Join(got, ", "), strings.Join(want, ", "))
		}
	}
}

// TestBoto3QuietQueueKeepsSendOrder is the same through boto3.
func TestBoto3QuietQueueKeepsSendOrder(t *testing.T) {
	python := requireBoto3(t)
	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	script := `
import os, boto3
sqs = boto3.client("sqs", endpoint_url=os.environ["SLUICE_ENDPOINT"])
for size in (1, 10):
    q = sqs.create_queue(QueueName="boto-order-%d" % size)["QueueUrl"]
    want = []
    for i in range(25):
        want.append("single %02d" % i)
        sqs.send_message(QueueUrl=q, MessageBody=want[-1])
    for b in range(3):
        entries = [{"Id": str(i), "MessageBody": "batch %d entry %d" % (b, i)} for i in range(10)]
        want += [e["MessageBody"] for e in entries]
        assert not sqs.send_message_batch(QueueUrl=q, Entries=entries).get("Failed")
    got = []
    while len(got) < len(want):
        msgs = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=size, WaitTimeSeconds=1).get("Messages", [])
        assert msgs, ("queue dry", size, len(got))
        for m in msgs:
            got.append(m["Body"])
            sqs.delete_message(QueueUrl=q, ReceiptHandle=m["ReceiptHandle"])
    assert got == want, (size, got)
print("ok")
`
	out, errOut, err := runTool(t, clientEnv(t, p), "", python, "-c", script)
	if err != nil || !strings.HasPrefix(out, "ok") {
		t.Fatalf("boto3: %v\n%s%s", err, out, errOut)
	}
}
