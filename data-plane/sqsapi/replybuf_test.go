package sqsapi_test

import (
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

// TestPooledReplyKeepsNoOtherTenantBytes: replies are written into pooled
// buffers; after account A's large reply, account B's replies hold only
// their own bytes (a reused buffer is emptied, and given back only once
// the reply is written).
func TestPooledReplyKeepsNoOtherTenantBytes(t *testing.T) {
	s := newServer(t, kvtest.OpenLocal(t))
	var created xmlReply
	readXML(t, s.queryPost(t, "KEYA", action("CreateQueue", "QueueName", "big")), 200, &created)
	q := created.Result.QueueURL
	secret := strings.Repeat("Z", 200<<10) // under maxPooledReply: its buffer is kept
	readXML(t, s.queryPost(t, "KEYA", action("SendMessage", "QueueUrl", q, "MessageBody", secret)), 200, &xmlReply{})
	for range 20 { // a sync.Pool may hand out another buffer: ask several times
		resp := s.queryPost(t, "KEYA", action("ReceiveMessage", "QueueUrl", q, "VisibilityTimeout", "0"))
		body, err := io.ReadAll(resp.Body)
		if err != nil || !strings.Contains(string(body), secret) {
			t.Fatalf("A's receive: %v, %d bytes without the message", err, len(body))
		}
		resp = s.queryPost(t, "KEYB", action("ListQueues"))
		body, err = io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if len(body) > 1024 || strings.Contains(string(body), "ZZZ") {
			t.Fatalf("B's ListQueues reply (%d bytes) carries A's bytes: %.200q", len(body), body)
		}
	}
}

// TestRepliesCarryTheirLength: every reply says its length, as SQS's do,
// a receive of 10 messages over 2 KiB (which net/http would otherwise
// send chunked) and an error alike.
func TestRepliesCarryTheirLength(t *testing.T) {
	s := newServer(t, kvtest.OpenLocal(t))
	var created xmlReply
	readXML(t, s.queryPost(t, "KEYA", action("CreateQueue", "QueueName", "len")), 200, &created)
	q := created.Result.QueueURL
	params := action("SendMessageBatch", "QueueUrl", q)
	for i := 1; i <= 10; i++ {
		params.Set(fmt.Sprintf("SendMessageBatchRequestEntry.%d.Id", i), fmt.Sprint(i))
		params.Set(fmt.Sprintf("SendMessageBatchRequestEntry.%d.MessageBody", i), strings.Repeat("b", 256))
	}
	readXML(t, s.queryPost(t, "KEYA", params), 200, &xmlReply{})
	for _, c := range []struct {
		name    string
		params  url.Values
		status  int
		minSize int
	}{
		{"receive of 10", action("ReceiveMessage", "QueueUrl", q, "MaxNumberOfMessages", "10", "VisibilityTimeout", "0"), 200, 2 << 10},
		{"error", action("ReceiveMessage", "QueueUrl", q, "MaxNumberOfMessages", "11"), 400, 1},
	} {
		resp := s.queryPost(t, "KEYA", c.params)
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != c.status || len(body) < c.minSize {
			t.Fatalf("%s: status %d, %d bytes; want %d, at least %d bytes", c.name, resp.StatusCode, len(body), c.status, c.minSize)
		}
		if len(resp.TransferEncoding) != 0 || resp.ContentLength != int64(len(body)) {
			t.Errorf("%s: Content-Length %d, Transfer-Encoding %v for a %d-byte body; want its length, not chunked", c.name, resp.ContentLength, resp.TransferEncoding, len(body))
		}
	}
}
