package sqsapi_test

import (
	"io"
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
