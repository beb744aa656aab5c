package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/internal/kv/local"
)

// A claim on a store that splices values (the local store, kv.Splicer)
// writes the record's state alone, not its body: receiving a 200 KiB
// message adds a few hundred bytes to the log, not the message. The body,
// the counts and the first receive time survive receives, a visibility
// change and the flushes and compactions between them.
func TestClaimWritesTheStateAlone(t *testing.T) {
	store := openLocal(t, local.Options{})
	clock := newFakeClock()
	e := newEngine(t, store, clock.Now)
	r := mustCreate(t, e, "q", nil)
	body := strings.Repeat("0123456789abcdef", 200<<10/16)
	sent := mustSend(t, e, r, body)
	var first string
	check := func(m engine.Message, count string) {
		t.Helper()
		if m.MessageID != sent.MessageID || m.Body != body || m.MD5OfBody != sent.MD5OfMessageBody {
			t.Fatalf("message %s changed: %d bytes of body", m.MessageID, len(m.Body))
		}
		if got := m.Attributes[engine.SysApproximateReceiveCount]; got != count {
			t.Fatalf("receive count %s, want %s", got, count)
		}
		if first == "" {
			first = m.Attributes[engine.SysApproximateFirstReceiveTimestamp]
		} else if got := m.Attributes[engine.SysApproximateFirstReceiveTimestamp]; got != first {
			t.Fatalf("first receive %s, was %s", got, first)
		}
	}
	receiveOne := func(count string) engine.Message {
		t.Helper()
		before := store.LogBytes()
		msgs := receive(t, e, r, 1)
		if written := store.LogBytes() - before; written > 4<<10 {
			t.Fatalf("a claim wrote %d bytes to the log for a %d-byte message", written, len(body))
		}
		if len(msgs) != 1 {
			t.Fatalf("received %d messages", len(msgs))
		}
		check(msgs[0], count)
		if err := store.Compact(ctx); err != nil {
			t.Fatal(err)
		}
		return msgs[0]
	}
	receiveOne("1")
	clock.Advance(31 * time.Second) // past the visibility timeout
	m := receiveOne("2")
	if err := e.ChangeMessageVisibility(ctx, r, m.ReceiptHandle, 0); err != nil {
		t.Fatal(err)
	}
	m = receiveOne("3")
	if err := e.DeleteMessage(ctx, r, m.ReceiptHandle); err != nil {
		t.Fatal(err)
	}
	if msgs := receive(t, e, r, 1); len(msgs) != 0 {
		t.Fatalf("a deleted message came back: %v", msgs[0].MessageID)
	}
}
