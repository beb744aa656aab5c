package engine_test

import (
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

// TestDeleteBatchReadsRecordsInOneRequest: a DeleteMessageBatch of 10 on a
// standard queue reads its queue record and its 10 message records in one
// store request, not one each (on TiKV each request is a round trip).
func TestDeleteBatchReadsRecordsInOneRequest(t *testing.T) {
	store, counts := kvtest.OpenMockTiKVCounted(t)
	e := newEngine(t, store, time.Now)
	q := mustCreate(t, e, "q", nil)
	if _, err := e.SendMessageBatch(ctx, q, batchOf(10)); err != nil {
		t.Fatal(err)
	}
	msgs := receive(t, e, q, 10)
	if len(msgs) != 10 {
		t.Fatalf("received %d of 10", len(msgs))
	}
	handles := make([]string, len(msgs))
	for i, m := range msgs {
		handles[i] = m.ReceiptHandle
	}
	before := counts.Snapshot()
	res, err := e.DeleteMessageBatch(ctx, q, handles)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("delete %d: %v", i, r.Err)
		}
	}
	after := counts.Snapshot()
	reads := after["Get"] - before["Get"] + after["BatchGet"] - before["BatchGet"]
	// The queue record and the 10 messages, in one request.
	if reads > 1 {
		t.Fatalf("delete of 10 sent %d read requests (Get %d, BatchGet %d), want 1",
			reads, after["Get"]-before["Get"], after["BatchGet"]-before["BatchGet"])
	}
}

// TestDeleteBatchWithAHandleTwice: one message's handle twice in a batch,
// and with it a handle of an earlier receive of the same message, delete
// the message once: both entries succeed and the queue's counts stay right.
func TestDeleteBatchWithAHandleTwice(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		clock := newFakeClock()
		e := newEngine(t, store, clock.Now)
		q := mustCreate(t, e, "q", nil)
		mustSend(t, e, q, "a")
		mustSend(t, e, q, "b")
		first, err := e.ReceiveMessage(ctx, q, engine.ReceiveInput{MaxNumberOfMessages: 10, VisibilityTimeout: intp(0), WaitTimeSeconds: intp(0)})
		if err != nil || len(first) != 2 {
			t.Fatalf("first receive: %d messages, %v", len(first), err)
		}
		clock.AdvanceSeconds(1)
		second := receive(t, e, q, 10)
		if len(second) != 2 {
			t.Fatalf("second receive: %d messages", len(second))
		}
		h := second[0].ReceiptHandle
		stale := first[0].ReceiptHandle
		if first[0].MessageID != second[0].MessageID {
			stale = first[1].ReceiptHandle
		}
		res, err := e.DeleteMessageBatch(ctx, q, []string{h, stale, h})
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range res {
			if r.Err != nil {
				t.Fatalf("entry %d: %v", i, r.Err)
			}
		}
		a, err := e.GetQueueAttributes(ctx, q, []string{queues.AttrApproximateNumberOfMessages, queues.AttrApproximateNumberOfMessagesNotVisible})
		if err != nil {
			t.Fatal(err)
		}
		if a[queues.AttrApproximateNumberOfMessages] != "0" || a[queues.AttrApproximateNumberOfMessagesNotVisible] != "1" {
			t.Fatalf("after deleting one of two in flight: %s visible, %s not visible, want 0 and 1",
				a[queues.AttrApproximateNumberOfMessages], a[queues.AttrApproximateNumberOfMessagesNotVisible])
		}
		// The other message is still there to delete.
		res, err = e.DeleteMessageBatch(ctx, q, []string{second[1].ReceiptHandle})
		if err != nil || res[0].Err != nil {
			t.Fatalf("delete the other: %v %v", err, res[0].Err)
		}
	})
}
