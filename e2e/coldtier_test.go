package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sluice-mq/sluice/e2e/internal/sluiceproc"
)

type queueStorage struct {
	Tiering struct{ HotWindowSeconds, HotBytesBudget int64 }
	Storage struct{ Messages, HotBytes, ColdBytes, Segments int64 }
}

// TestColdTierWithSDK: a queue set to a hot window of 0 through the
// control plane has its bodies rolled into segment files under the blob
// directory while it holds a backlog; the backlog survives a restart and
// drains through aws-sdk-go-v2 with every body, attribute and MD5 digest
// (the SDK checks them) as sent; then the segments are collected.
func TestColdTierWithSDK(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	p := sluiceproc.StartDev(t, "--data", data, "--tier-interval", "300ms")
	c := sqsClient(p, p.SecretKey)
	path := "/v1/tenants/" + p.AccountID + "/queues"
	var q queueStorage
	rest(t, p, p.OperatorToken, "POST", path, `{"name":"backlog","tiering":{"hotWindowSeconds":0}}`, 201, &q)
	if q.Tiering.HotWindowSeconds != 0 || q.Tiering.HotBytesBudget != 64<<20 {
		t.Fatalf("tiering %+v", q.Tiering)
	}
	url := mustOK(c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("backlog")}))(t).QueueUrl

	const n = 2000
	body := func(i int) string { return fmt.Sprintf("order %05d %s", i, strings.Repeat("ab", i%300)) }
	for i := 0; i < n; i += 10 {
		var entries []types.SendMessageBatchRequestEntry
		for j := i; j < i+10; j++ {
			entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint("m", j)), MessageBody: aws.String(body(j)),
				MessageAttributes: map[string]types.MessageAttributeValue{
					"n":   {DataType: aws.String("Number"), StringValue: aws.String(fmt.Sprint(j))},
					"raw": {DataType: aws.String("Binary"), BinaryValue: []byte{byte(j), 0xff}}}})
		}
		if out := mustOK(c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: url, Entries: entries}))(t); len(out.Failed) > 0 {
			t.Fatalf("send failed: %+v", out.Failed)
		}
	}
	waitStorage(t, p, path+"/backlog", "every body cold", func(s queueStorage) bool {
		return s.Storage.Messages == n && s.Storage.HotBytes == 0 && s.Storage.ColdBytes > 0 && s.Storage.Segments > 0
	})
	segments, _ := filepath.Glob(filepath.Join(data, "blobs", "objects", "segments", "*", "*", "*"))
	if len(segments) == 0 {
		t.Fatal("no segment files under the blob directory")
	}

	// The backlog survives a restart.
	if _, err := p.Stop(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	p = sluiceproc.StartDev(t, "--data", data, "--tier-interval", "300ms")
	c = sqsClient(p, p.SecretKey)
	url = mustOK(c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("backlog")}))(t).QueueUrl
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("sluice dev's log:\n%s", p.Stderr())
		}
	})

	seen := map[string]bool{}
	for len(seen) < n {
		out := mustOK(c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, MaxNumberOfMessages: 10,
			MessageAttributeNames: []string{"All"}, WaitTimeSeconds: 1}))(t)
		if len(out.Messages) == 0 {
			t.Fatalf("queue empty after %d of %d", len(seen), n)
		}
		var entries []types.DeleteMessageBatchRequestEntry
		for k, m := range out.Messages {
			var i int
			fmt.Sscanf(aws.ToString(m.Body), "order %d", &i)
			if aws.ToString(m.Body) != body(i) || aws.ToString(m.MessageAttributes["n"].StringValue) != fmt.Sprint(i) ||
				string(m.MessageAttributes["raw"].BinaryValue) != string([]byte{byte(i), 0xff}) {
				t.Fatalf("message %d came back as %q %+v", i, aws.ToString(m.Body), m.MessageAttributes)
			}
			if seen[aws.ToString(m.Body)] {
				t.Fatalf("message %d delivered twice", i)
			}
			seen[aws.ToString(m.Body)] = true
			entries = append(entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(k)), ReceiptHandle: m.ReceiptHandle})
		}
		mustOK(c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: url, Entries: entries}))(t)
	}
	waitStorage(t, p, path+"/backlog", "segments collected", func(s queueStorage) bool {
		return s.Storage.Messages == 0 && s.Storage.ColdBytes == 0 && s.Storage.Segments == 0
	})
}

func waitStorage(t *testing.T, p *sluiceproc.Process, path, what string, ok func(queueStorage) bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var q queueStorage
		rest(t, p, p.OperatorToken, "GET", path, "", 200, &q)
		if ok(q) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after 60 s: %+v", what, q.Storage)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
