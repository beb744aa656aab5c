package engine_test

import (
	"bytes"
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

// TestBatchesReadInOneRequest: on TiKV each store request is a round
// trip, so a batch's per-message reads go in one request, not one each: a
// DeleteMessageBatch of 10 reads its queue record and its 10 message
// records in one (and, on a FIFO queue, the group's record); a FIFO
// SendMessageBatch of 10 reads its 10 deduplication records in one, and a
// FIFO receive of 10 messages of one group their records in one.
func TestBatchesReadInOneRequest(t *testing.T) {
	for _, tc := range []struct {
		name                   string
		attrs                  map[string]string
		send, receive, delete_ int64 // most read requests each may send
	}{
		// Standard: a send reads the queue record; a receive, the queue
		// record in its look and its claim (the records come with their
		// locks); a delete, the queue record and the records at once.
		{"standard", nil, 1, 2, 1},
		// FIFO: a send reads the queue record, the group's, and the
		// deduplication records at once; a receive, the queue record in
		// its look and its claim, and the group's records at once (the
		// group's own comes with its lock); a delete, the queue record
		// and the records at once, then the group's.
		{"fifo", map[string]string{"FifoQueue": "true"}, 3, 3, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store, counts := kvtest.OpenMockTiKVCounted(t)
			e := newEngine(t, store, time.Now)
			name := "q"
			if tc.attrs != nil {
				name = "q.fifo"
			}
			q := mustCreate(t, e, name, tc.attrs)
			// A first look at the empty queue reads the shards' stored
			// floors, once a node.
			if got := receive(t, e, q, 10); len(got) != 0 {
				t.Fatalf("an empty queue gave %d messages", len(got))
			}
			in := batchOf(10)
			if tc.attrs != nil {
				group := "g"
				for i := range in {
					dedup := fmt.Sprint(i)
					in[i].MessageGroupID, in[i].DeduplicationID = &group, &dedup
				}
			}
			reads := func(step string, most int64, do func()) {
				t.Helper()
				before := counts.Snapshot()
				do()
				after := counts.Snapshot()
				gets, batchGets := after["Get"]-before["Get"], after["BatchGet"]-before["BatchGet"]
				if gets+batchGets > most {
					t.Errorf("%s of 10 sent %d read requests (Get %d, BatchGet %d), want at most %d", step, gets+batchGets, gets, batchGets, most)
				}
			}
			reads("send", tc.send, func() {
				if _, err := e.SendMessageBatch(ctx, q, in); err != nil {
					t.Fatal(err)
				}
			})
			var msgs []engine.Message
			reads("receive", tc.receive, func() { msgs = receive(t, e, q, 10) })
			if len(msgs) != 10 {
				t.Fatalf("received %d of 10", len(msgs))
			}
			reads("delete", tc.delete_, func() { mustDeleteAll(t, e, q, receiptsOf(msgs)) })
		})
	}
}

// mustDeleteAll deletes handles in one batch; every entry must succeed.
func mustDeleteAll(t *testing.T, e *engine.Engine, q queues.Ref, handles []string) {
	t.Helper()
	res, err := e.DeleteMessageBatch(ctx, q, handles)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("delete entry %d: %v", i, r.Err)
		}
	}
}

// wantCounts checks the queue's visible and in-flight message counts.
func wantCounts(t *testing.T, e *engine.Engine, q queues.Ref, when, visible, notVisible string) {
	t.Helper()
	a, err := e.GetQueueAttributes(ctx, q, []string{queues.AttrApproximateNumberOfMessages, queues.AttrApproximateNumberOfMessagesNotVisible})
	if err != nil {
		t.Fatal(err)
	}
	if a[queues.AttrApproximateNumberOfMessages] != visible || a[queues.AttrApproximateNumberOfMessagesNotVisible] != notVisible {
		t.Fatalf("%s: %s visible, %s not visible, want %s and %s", when,
			a[queues.AttrApproximateNumberOfMessages], a[queues.AttrApproximateNumberOfMessagesNotVisible], visible, notVisible)
	}
}

func receiptsOf(msgs []engine.Message) []string {
	handles := make([]string, len(msgs))
	for i, m := range msgs {
		handles[i] = m.ReceiptHandle
	}
	return handles
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
		mustDeleteAll(t, e, q, []string{h, stale, h})
		wantCounts(t, e, q, "after deleting one of two in flight", "0", "1")
		// The other message is still there to delete.
		res, err := e.DeleteMessageBatch(ctx, q, []string{second[1].ReceiptHandle})
		if err != nil || res[0].Err != nil {
			t.Fatalf("delete the other: %v %v", err, res[0].Err)
		}
	})
}

// TestFIFODeleteBatchWithAHandleTwice: on a FIFO queue too, a handle
// given twice in a batch deletes its message once (the batch's records
// are read before any is deleted), and the group serves its next message.
func TestFIFODeleteBatchWithAHandleTwice(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		clock := newFakeClock()
		e := newEngine(t, store, clock.Now)
		q := mustCreate(t, e, "q.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
		for _, body := range []string{"a", "b", "c"} {
			mustSendToGroup(t, e, q, "g", body)
		}
		got := receive(t, e, q, 2)
		if len(got) != 2 || got[0].Body != "a" || got[1].Body != "b" {
			t.Fatalf("received %v, want a and b", got)
		}
		a, b := got[0].ReceiptHandle, got[1].ReceiptHandle
		mustDeleteAll(t, e, q, []string{a, b, a})
		wantCounts(t, e, q, "after deleting two of three", "1", "0")
		if got := receive(t, e, q, 10); len(got) != 1 || got[0].Body != "c" {
			t.Fatalf("the group's next message: %v, want c", got)
		}
	})
}

// TestFIFOSweepReadsLittlePastWhatItDrops: the sweep drops a FIFO group's
// expired messages from its front and stops at the first it keeps; it
// reads the records a few at a time, so a group with one expired message
// and a long backlog behind it costs a few record reads, not a page of
// 500 (with large bodies, hundreds of megabytes to drop one message).
func TestFIFOSweepReadsLittlePastWhatItDrops(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, inner kv.Store) {
		store := &recordReadCounter{Store: inner}
		clock := newFakeClock()
		e := newEngine(t, store, clock.Now)
		q := mustCreate(t, e, "q.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true", "MessageRetentionPeriod": "60"})
		mustSendToGroup(t, e, q, "g", "old")
		clock.AdvanceSeconds(30)
		for i := range 100 {
			mustSendToGroup(t, e, q, "g", fmt.Sprint("new ", i))
		}
		clock.AdvanceSeconds(31) // "old" is past its 60 s, the rest are not
		store.most.Store(0)
		if err := e.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if most := store.most.Load(); most > 10 {
			t.Fatalf("the sweep read %d message records in one request to drop one, want at most 10", most)
		}
		if got := receive(t, e, q, 1); len(got) != 1 || got[0].Body != "new 0" {
			t.Fatalf("after the sweep the group gave %v, want new 0", got)
		}
	})
}

// recordReadCounter keeps the most message records (Q/{did}/m/ keys) one
// BatchGet asked for.
type recordReadCounter struct {
	kv.Store
	most atomic.Int64
}

func (s *recordReadCounter) Update(ctx context.Context, fn func(kv.Txn) error) error {
	return s.Store.Update(ctx, func(tx kv.Txn) error { return fn(recordReadTxn{tx, s}) })
}

type recordReadTxn struct {
	kv.Txn
	s *recordReadCounter
}

func (t recordReadTxn) BatchGet(ctx context.Context, keys [][]byte) (map[string][]byte, error) {
	n := int64(0)
	for _, k := range keys {
		if bytes.Contains(k, []byte("/m/")) {
			n++
		}
	}
	for {
		most := t.s.most.Load()
		if n <= most || t.s.most.CompareAndSwap(most, n) {
			break
		}
	}
	return t.Txn.BatchGet(ctx, keys)
}
