package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sluice-mq/sluice/e2e/internal/sluiceproc"
	"github.com/sluice-mq/sluice/e2e/internal/versitygw"
)

// writeKeyFile writes a key file `sluice serve` accepts: 0600, as it
// refuses key files others can read.
func writeKeyFile(t *testing.T, name, key string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestServeOnMockTiKVAndS3 runs the production command, `sluice serve
// --role all`, as a process: the tikv driver over client-go's in-process
// mock store (--pd mock://, in a binary built with -tags sluice_mocktikv)
// and versitygw as S3. With an operator token from `sluice token create`
// and the same key file, a tenant and its access key are made over REST;
// aws-sdk-go-v2 then creates a queue, sends, receives and deletes; a
// queue with a hot window of 0 has its bodies rolled into segment objects
// in the bucket, and they come back from there byte for byte.
func TestServeOnMockTiKVAndS3(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	s3 := versitygw.Start(t)
	const bucket, prefix = "sluice-serve-e2e", "cold/"
	s3.CreateBucket(t, bucket)

	bin := sluiceproc.MockTiKVBinary(t)
	jwtKeyFile := writeKeyFile(t, "jwt.key", "8f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0")
	p := sluiceproc.StartServe(t, bin, "--role", "all", "--pd", "mock://",
		"--s3-endpoint", s3.Endpoint, "--s3-bucket", bucket, "--s3-prefix", prefix, "--s3-secure=false",
		"--s3-access-key", s3.AccessKey, "--s3-secret-key", s3.SecretKey,
		"--master-key-file", writeKeyFile(t, "master.key", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"),
		"--jwt-key-file", jwtKeyFile, "--tier-interval", "300ms")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("sluice serve's log:\n%s", p.Stderr())
		}
	})
	code, out := sluiceproc.RunBinary(t, bin, 30*time.Second, "token", "create", "--role", "operator", "--jwt-key-file", jwtKeyFile)
	if code != 0 {
		t.Fatalf("sluice token create: exit %d: %s", code, out)
	}
	p.OperatorToken = strings.TrimSpace(out)
	account, _, c := newTenant(t, p, `{"name":"serve-e2e"}`)

	// Hot path: a queue made through the SDK.
	url := mustOK(c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("orders")}))(t).QueueUrl
	mustOK(c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: url, MessageBody: aws.String("hello from serve")}))(t)
	got := mustOK(c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, WaitTimeSeconds: 1}))(t)
	if len(got.Messages) != 1 || aws.ToString(got.Messages[0].Body) != "hello from serve" {
		t.Fatalf("received %+v", got.Messages)
	}
	mustOK(c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: url, ReceiptHandle: got.Messages[0].ReceiptHandle}))(t)
	if again := mustOK(c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, WaitTimeSeconds: 1}))(t); len(again.Messages) != 0 {
		t.Fatalf("deleted message came back: %+v", again.Messages)
	}

	// Cold path: every body older than 0 s moves to S3.
	path := "/v1/tenants/" + account + "/queues"
	rest(t, p, p.OperatorToken, "POST", path, `{"name":"backlog","tiering":{"hotWindowSeconds":0}}`, 201, nil)
	url = mustOK(c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("backlog")}))(t).QueueUrl
	const n = 50
	// Bodies of several sizes, with characters beyond ASCII, so a segment
	// holds more than one and each must come back whole.
	body := func(i int) string { return fmt.Sprintf("cold %03d %s", i, strings.Repeat("é☃x", i*37)) }
	for i := range n {
		mustOK(c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: url, MessageBody: aws.String(body(i)),
			MessageAttributes: map[string]types.MessageAttributeValue{"n": {DataType: aws.String("Number"), StringValue: aws.String(fmt.Sprint(i))}}}))(t)
	}
	waitStorage(t, p, path+"/backlog", "every body cold", func(s queueStorage) bool {
		return s.Storage.Messages == n && s.Storage.HotBytes == 0 && s.Storage.ColdBytes > 0 && s.Storage.Segments > 0
	})
	if keys := s3.Keys(t, bucket, prefix+"segments/"); len(keys) == 0 {
		t.Fatalf("the queue reports cold bodies, but bucket %s holds no segments under %s: %v", bucket, prefix, s3.Keys(t, bucket, ""))
	}

	seen := map[int]bool{}
	for len(seen) < n {
		out := mustOK(c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, MaxNumberOfMessages: 10,
			MessageAttributeNames: []string{"All"}, WaitTimeSeconds: 1}))(t)
		if len(out.Messages) == 0 {
			t.Fatalf("queue empty after %d of %d", len(seen), n)
		}
		for _, m := range out.Messages {
			var i int
			fmt.Sscanf(aws.ToString(m.MessageAttributes["n"].StringValue), "%d", &i)
			if aws.ToString(m.Body) != body(i) {
				t.Fatalf("cold message %d came back as %q", i, aws.ToString(m.Body))
			}
			if seen[i] {
				t.Fatalf("cold message %d delivered twice", i)
			}
			seen[i] = true
			mustOK(c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: url, ReceiptHandle: m.ReceiptHandle}))(t)
		}
	}
	waitStorage(t, p, path+"/backlog", "segments collected", func(s queueStorage) bool {
		return s.Storage.Messages == 0 && s.Storage.ColdBytes == 0 && s.Storage.Segments == 0
	})

	if code, err := p.Stop(15 * time.Second); err != nil || code != 0 {
		t.Fatalf("sluice serve stopped with exit %d, %v", code, err)
	}
}
