package engine_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
	"github.com/sluice-mq/sluice/internal/kv/local"
)

func strp(s string) *string { return &s }

var fifoAttrs = map[string]string{"FifoQueue": "true"}

func fifoSend(t testing.TB, e *engine.Engine, r queues.Ref, group, dedup, body string) engine.SendResult {
	t.Helper()
	in := engine.SendInput{Body: body, MessageGroupID: strp(group)}
	if dedup != "" {
		in.DeduplicationID = strp(dedup)
	}
	res, err := e.SendMessage(ctx, r, in)
	if err != nil {
		t.Fatalf("send %s/%s: %v", group, body, err)
	}
	return res
}

func joinBodies(msgs []engine.Message) string {
	var b []string
	for _, m := range msgs {
		b = append(b, m.Body)
	}
	return strings.Join(b, ",")
}

func deleteAll(t testing.TB, e *engine.Engine, r queues.Ref, msgs []engine.Message) {
	t.Helper()
	for _, m := range msgs {
		if err := e.DeleteMessage(ctx, r, m.ReceiptHandle); err != nil {
			t.Fatalf("delete %s: %v", m.Body, err)
		}
	}
}

func TestFIFOQueueAttributes(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, clock *fakeClock) {
		r := mustCreate(t, e, "orders.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
		attrs, err := e.GetQueueAttributes(ctx, r, []string{"All"})
		if err != nil {
			t.Fatal(err)
		}
		for name, want := range map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true", "DeduplicationScope": "queue", "FifoThroughputLimit": "perQueue"} {
			if attrs[name] != want {
				t.Errorf("%s = %q, want %q", name, attrs[name], want)
			}
		}
		one, err := e.GetQueueAttributes(ctx, r, []string{"FifoThroughputLimit"})
		if err != nil || len(one) != 1 || one["FifoThroughputLimit"] != "perQueue" {
			t.Fatalf("GetQueueAttributes FifoThroughputLimit: %v %v", one, err)
		}
		// High-throughput mode can be switched on later.
		if err := e.Catalog().SetAttributes(ctx, r, map[string]string{"DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"}); err != nil {
			t.Fatal(err)
		}
		std := mustCreate(t, e, "plain", nil)
		for _, c := range []struct {
			name  string
			call  func() error
			code  string
			inMsg string
		}{
			{"fifo name without FifoQueue", func() error { _, err := e.Catalog().Create(ctx, ref("a.fifo"), nil, nil); return err }, "InvalidParameterValue", "Can only include"},
			{"FifoQueue without .fifo", func() error { _, err := e.Catalog().Create(ctx, ref("a"), fifoAttrs, nil); return err }, "InvalidParameterValue", "must end with .fifo suffix"},
			{"standard with ContentBasedDeduplication", func() error {
				_, err := e.Catalog().Create(ctx, ref("b"), map[string]string{"ContentBasedDeduplication": "true"}, nil)
				return err
			}, "InvalidAttributeName", "Unknown Attribute ContentBasedDeduplication."},
			{"standard with DeduplicationScope", func() error {
				return e.Catalog().SetAttributes(ctx, std, map[string]string{"DeduplicationScope": "queue"})
			}, "InvalidAttributeName", "You can specify the DeduplicationScope only when FifoQueue is set to true."},
			{"standard set FifoQueue", func() error { return e.Catalog().SetAttributes(ctx, std, fifoAttrs) }, "InvalidAttributeName", "Unknown Attribute FifoQueue."},
			{"fifo set FifoQueue=false", func() error { return e.Catalog().SetAttributes(ctx, r, map[string]string{"FifoQueue": "false"}) }, "InvalidAttributeValue", "Modifying queue type is not supported."},
			{"bad DeduplicationScope", func() error {
				return e.Catalog().SetAttributes(ctx, r, map[string]string{"DeduplicationScope": "group"})
			}, "InvalidAttributeValue", "Invalid value for the parameter DeduplicationScope."},
			{"fifo source, standard DLQ", func() error {
				return e.Catalog().SetAttributes(ctx, r, map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"` + std.ARN() + `","maxReceiveCount":3}`})
			}, "InvalidParameterValue", "Reason: Dead-letter queue must be same type of queue as the source."},
			{"standard source, fifo DLQ", func() error {
				return e.Catalog().SetAttributes(ctx, std, map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"` + r.ARN() + `","maxReceiveCount":3}`})
			}, "InvalidParameterValue", "Reason: Dead-letter queue must be same type of queue as the source."},
		} {
			err := c.call()
			wantCode(t, err, c.code)
			if c.inMsg == "" { // strings.Contains accepts "" from any message
				t.Fatalf("%s: the case names no message text", c.name)
			}
			if !strings.Contains(err.Error(), c.inMsg) {
				t.Errorf("%s: %v does not say %q", c.name, err, c.inMsg)
			}
		}
		// FifoQueue=true again on a FIFO queue is a no-op, as in SQS.
		if err := e.Catalog().SetAttributes(ctx, r, fifoAttrs); err != nil {
			t.Fatal(err)
		}
	})
}

func TestFIFOSendErrors(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, clock *fakeClock) {
		r := mustCreate(t, e, "q.fifo", fifoAttrs)
		std := mustCreate(t, e, "std", nil)
		send := func(r queues.Ref, in engine.SendInput) error {
			_, err := e.SendMessage(ctx, r, in)
			return err
		}
		for _, c := range []struct {
			name string
			err  error
			code string
			msg  string
		}{
			// No recorded SQS response found for SendMessage without a group
			// id; MissingParameter and its text are ours (moto answers the same).
			{"missing group", send(r, engine.SendInput{Body: "x", DeduplicationID: strp("d")}), "MissingParameter", "The request must contain the parameter MessageGroupId."},
			// Recorded for SendMessageBatch (see the batch check below); no
			// SendMessage recording found.
			{"missing dedup", send(r, engine.SendInput{Body: "x", MessageGroupID: strp("g")}), "InvalidParameterValue", "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"},
			{"per-message delay", send(r, engine.SendInput{Body: "x", MessageGroupID: strp("g"), DeduplicationID: strp("d"), DelaySeconds: intp(2)}), "InvalidParameterValue", "Value 2 for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type."},
			{"dedup id with a space", send(r, engine.SendInput{Body: "x", MessageGroupID: strp("g"), DeduplicationID: strp("group 123")}), "InvalidParameterValue", "Value group 123 for parameter MessageDeduplicationId is invalid. Reason: MessageDeduplicationId can only include alphanumeric and punctuation characters. 1 to 128 in length."},
			{"dedup id too long", send(r, engine.SendInput{Body: "x", MessageGroupID: strp("g"), DeduplicationID: strp(strings.Repeat("a", 129))}), "InvalidParameterValue", "1 to 128 in length."},
			{"empty group id", send(r, engine.SendInput{Body: "x", MessageGroupID: strp(""), DeduplicationID: strp("d")}), "InvalidParameterValue", "Value  for parameter MessageGroupId is invalid."},
			{"dedup id on a standard queue", send(std, engine.SendInput{Body: "x", DeduplicationID: strp("d")}), "InvalidParameterValue", "not valid for this queue type"},
		} {
			wantCode(t, c.err, c.code)
			if c.msg == "" { // strings.Contains accepts "" from any message
				t.Fatalf("%s: the case names no message text", c.name)
			}
			if !strings.Contains(c.err.Error(), c.msg) {
				t.Errorf("%s: got %v, want %q", c.name, c.err, c.msg)
			}
		}
		// In a batch a missing group id, or a missing deduplication id, fails
		// the whole call with InvalidParameterValue. Recorded against real SQS:
		// localstack/localstack tests/aws/services/sqs/test_sqs.snapshot.json,
		// keys "...::test_send_batch_missing_message_group_id_for_fifo_queue"
		// and "...::test_send_batch_missing_deduplication_id_for_fifo_queue"
		// (HTTP 400, Type Sender, these exact messages).
		for _, c := range []struct {
			entry engine.SendInput
			msg   string
		}{
			{engine.SendInput{Body: "no group", DeduplicationID: strp("2")},
				"The request must contain the parameter MessageGroupId."},
			{engine.SendInput{Body: "no dedup", MessageGroupID: strp("g")},
				"The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"},
		} {
			_, err := e.SendMessageBatch(ctx, r, []engine.SendInput{
				{Body: "ok", MessageGroupID: strp("g"), DeduplicationID: strp("1")}, c.entry,
			})
			wantCode(t, err, "InvalidParameterValue")
			if ee := (*sqserr.Error)(nil); !errors.As(err, &ee) || ee.Message != c.msg {
				t.Errorf("batch: got %v, want %q", err, c.msg)
			}
		}
		// A per-entry error fails alone.
		res, err := e.SendMessageBatch(ctx, r, []engine.SendInput{
			{Body: "ok", MessageGroupID: strp("g"), DeduplicationID: strp("1")},
			{Body: "delayed", MessageGroupID: strp("g"), DeduplicationID: strp("2"), DelaySeconds: intp(5)},
		})
		if err != nil || res[0].Err != nil || res[1].Err == nil || res[0].Result.SequenceNumber == "" {
			t.Fatalf("batch: %v %+v", err, res)
		}
		// DelaySeconds=0 is accepted; the queue's delay still applies.
		if err := send(r, engine.SendInput{Body: "zero", MessageGroupID: strp("h"), DeduplicationID: strp("3"), DelaySeconds: intp(0)}); err != nil {
			t.Fatal(err)
		}
		// A group id on a standard queue is kept and returned, without
		// a sequence number (SQS fair queues).
		sres, err := e.SendMessage(ctx, std, engine.SendInput{Body: "fair", MessageGroupID: strp("tenant-1")})
		if err != nil || sres.SequenceNumber != "" {
			t.Fatalf("standard send with group: %v %+v", err, sres)
		}
		got := receive(t, e, std, 1)
		if len(got) != 1 || got[0].Attributes["MessageGroupId"] != "tenant-1" || got[0].Attributes["SequenceNumber"] != "" {
			t.Fatalf("standard receive: %+v", got)
		}
	})
}

func TestFIFOOrderAndGroupLock(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, clock *fakeClock) {
		r := mustCreate(t, e, "q.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
		// Sequence numbers increase within a group (SQS's promise).
		last := map[string]string{}
		for _, m := range []struct{ g, body string }{{"A", "a1"}, {"A", "a2"}, {"B", "b1"}, {"A", "a3"}, {"B", "b2"}} {
			res := fifoSend(t, e, r, m.g, "", m.body)
			if len(res.SequenceNumber) != 20 || res.SequenceNumber <= last[m.g] {
				t.Fatalf("sequence number %q after %q in group %s", res.SequenceNumber, last[m.g], m.g)
			}
			last[m.g] = res.SequenceNumber
		}
		first := receive(t, e, r, 1)
		second := receive(t, e, r, 1)
		if got := joinBodies(first) + "|" + joinBodies(second); got != "a1|b1" && got != "b1|a1" {
			t.Fatalf("first receives = %s, want a1 and b1 (each group's head, one group at a time)", got)
		}
		if first[0].Body == "b1" {
			first, second = second, first
		}
		if got := receive(t, e, r, 10); len(got) != 0 {
			t.Fatalf("both groups have a message in flight, yet received %s", joinBodies(got))
		}
		deleteAll(t, e, r, first)
		if got := joinBodies(receive(t, e, r, 10)); got != "a2,a3" {
			t.Fatalf("after deleting a1: %s, want a2,a3", got)
		}
		// b1 times out: it comes back before b2.
		clock.AdvanceSeconds(31)
		got := receive(t, e, r, 10)
		if joinBodies(got) != "a2,a3,b1,b2" && joinBodies(got) != "b1,b2,a2,a3" {
			t.Fatalf("after the timeout: %s", joinBodies(got))
		}
		for _, m := range got {
			if m.Body == "b1" && m.Attributes["ApproximateReceiveCount"] != "2" {
				t.Fatalf("b1 receive count %s", m.Attributes["ApproximateReceiveCount"])
			}
			if m.Attributes["MessageGroupId"] == "" || m.Attributes["SequenceNumber"] == "" || m.Attributes["MessageDeduplicationId"] == "" {
				t.Fatalf("FIFO attributes missing: %v", m.Attributes)
			}
		}
		// A FIFO handle whose message became visible again has expired.
		clock.AdvanceSeconds(31)
		err := e.DeleteMessage(ctx, r, got[0].ReceiptHandle)
		wantCode(t, err, "InvalidParameterValue")
		if !strings.Contains(err.Error(), "The receipt handle has expired.") {
			t.Fatal(err)
		}
		// Changing visibility to 0 releases the group at once, in order.
		got = receive(t, e, r, 2)
		if joinBodies(got) != "a2,a3" && joinBodies(got) != "b1,b2" {
			t.Fatalf("got %s", joinBodies(got))
		}
		if err := e.ChangeMessageVisibility(ctx, r, got[0].ReceiptHandle, 0); err != nil {
			t.Fatal(err)
		}
		if again := receive(t, e, r, 10); len(again) != 2 || again[0].Body == got[0].Body {
			// got[1] is still in flight: its group stays locked, and the
			// other group is served.
			t.Fatalf("after releasing %s: %s", got[0].Body, joinBodies(again))
		}
	})
}

func TestFIFODeduplication(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, clock *fakeClock) {
		r := mustCreate(t, e, "q.fifo", fifoAttrs)
		first := fifoSend(t, e, r, "g", "d1", "one")
		dup := fifoSend(t, e, r, "other-group", "d1", "two")
		if dup.MessageID != first.MessageID || dup.SequenceNumber != first.SequenceNumber || dup.MD5OfMessageBody == first.MD5OfMessageBody {
			t.Fatalf("duplicate answered %+v, first %+v (want its id and sequence number, and the MD5 of what was sent)", dup, first)
		}
		got := receive(t, e, r, 10)
		if joinBodies(got) != "one" {
			t.Fatalf("received %s", joinBodies(got))
		}
		deleteAll(t, e, r, got)
		// Deleting the message does not end the window.
		if again := fifoSend(t, e, r, "g", "d1", "one"); again.MessageID != first.MessageID {
			t.Fatal("dedup forgotten after delete")
		}
		if got := receive(t, e, r, 10); len(got) != 0 {
			t.Fatalf("duplicate delivered: %s", joinBodies(got))
		}
		// Duplicates inside one batch.
		res, err := e.SendMessageBatch(ctx, r, []engine.SendInput{
			{Body: "b1", MessageGroupID: strp("g"), DeduplicationID: strp("d2")},
			{Body: "b1 again", MessageGroupID: strp("g"), DeduplicationID: strp("d2")},
		})
		if err != nil || res[0].Result.MessageID != res[1].Result.MessageID {
			t.Fatalf("batch duplicates: %v %+v", err, res)
		}
		// After 5 minutes the id is new again; the sweeper drops the record.
		clock.Advance(5*time.Minute + time.Second)
		if err := e.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if later := fifoSend(t, e, r, "g", "d1", "one"); later.MessageID == first.MessageID {
			t.Fatal("deduplicated after the window")
		}

		// Content-based, and scoped per group.
		hq := mustCreate(t, e, "hi.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true", "DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"})
		a := fifoSend(t, e, hq, "g1", "", "same body")
		b := fifoSend(t, e, hq, "g1", "", "same body")
		c := fifoSend(t, e, hq, "g2", "", "same body")
		if a.MessageID != b.MessageID || a.MessageID == c.MessageID {
			t.Fatalf("content-based per-group dedup: %s %s %s", a.MessageID, b.MessageID, c.MessageID)
		}
		if n := len(receive(t, e, hq, 10)); n != 2 {
			t.Fatalf("received %d, want 2", n)
		}
	})
}

// Deduplication lives in the store: another node, or this one restarted,
// sees it.
func TestFIFODedupAcrossNodesAndRestart(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		clock := newFakeClock()
		a := newEngine(t, store, clock.Now)
		b := newEngine(t, store, clock.Now)
		r := mustCreate(t, a, "q.fifo", fifoAttrs)
		first := fifoSend(t, a, r, "g", "d", "body")
		if dup := fifoSend(t, b, r, "g", "d", "body"); dup.MessageID != first.MessageID {
			t.Fatal("node b did not see node a's deduplication id")
		}
		_ = a.Close()
		c := newEngine(t, store, clock.Now)
		if dup := fifoSend(t, c, r, "g", "d", "body"); dup.MessageID != first.MessageID {
			t.Fatal("a new engine did not see the deduplication id")
		}
		if got := receive(t, c, r, 10); len(got) != 1 {
			t.Fatalf("received %d messages, want 1", len(got))
		}
	})
	t.Run("local store reopened", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "kv")
		clock := newFakeClock()
		open := func() (kv.Store, *engine.Engine) {
			s, err := local.Open(dir, local.Options{})
			if err != nil {
				t.Fatal(err)
			}
			e, err := engine.New(s, engine.Options{Clock: clock.Now, ReceiptKey: receiptKey})
			if err != nil {
				t.Fatal(err)
			}
			return s, e
		}
		s, e := open()
		r := mustCreate(t, e, "q.fifo", fifoAttrs)
		first := fifoSend(t, e, r, "g", "d", "body")
		_ = e.Close()
		_ = s.Close()
		s, e = open()
		defer s.Close()
		defer e.Close()
		if dup := fifoSend(t, e, r, "g", "d", "body"); dup.MessageID != first.MessageID || dup.SequenceNumber != first.SequenceNumber {
			t.Fatalf("after a restart: %+v, first %+v", dup, first)
		}
	})
}

func TestFIFOReceiveRequestAttemptID(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, clock *fakeClock) {
		r := mustCreate(t, e, "q.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
		for i := range 4 {
			fifoSend(t, e, r, "g", "", fmt.Sprint("m", i))
		}
		zero := 0
		recv := func(attempt string) []engine.Message {
			msgs, err := e.ReceiveMessage(ctx, r, engine.ReceiveInput{MaxNumberOfMessages: 2, WaitTimeSeconds: &zero, ReceiveRequestAttemptID: attempt})
			if err != nil {
				t.Fatal(err)
			}
			return msgs
		}
		first := recv("try-1")
		retry := recv("try-1")
		if joinBodies(first) != "m0,m1" || joinBodies(retry) != "m0,m1" || first[0].ReceiptHandle != retry[0].ReceiptHandle {
			t.Fatalf("retry returned %s (%v), first %s", joinBodies(retry), retry, joinBodies(first))
		}
		deleteAll(t, e, r, first)
		// Its messages are gone: the retry is a new receive.
		if got := recv("try-1"); joinBodies(got) != "m2,m3" {
			t.Fatalf("retry after delete: %s", joinBodies(got))
		}
		_, err := e.ReceiveMessage(ctx, r, engine.ReceiveInput{ReceiveRequestAttemptID: "bad id"})
		wantCode(t, err, "InvalidParameterValue")
	})
}

func TestFIFOExpiryAndSweep(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, clock *fakeClock) {
		r := mustCreate(t, e, "q.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true", "MessageRetentionPeriod": "60"})
		for i := range 5 {
			fifoSend(t, e, r, fmt.Sprint("g", i%2), "", fmt.Sprint("old", i))
		}
		clock.AdvanceSeconds(30)
		fifoSend(t, e, r, "g0", "", "new")
		clock.AdvanceSeconds(31)
		if err := e.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if err := e.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		attrs, err := e.GetQueueAttributes(ctx, r, []string{"ApproximateNumberOfMessages"})
		if err != nil {
			t.Fatal(err)
		}
		if attrs["ApproximateNumberOfMessages"] != "1" {
			t.Fatalf("after the sweep: %v messages, want 1", attrs["ApproximateNumberOfMessages"])
		}
		if got := joinBodies(receive(t, e, r, 10)); got != "new" {
			t.Fatalf("received %s", got)
		}
	})
}

// A FIFO source dead-letters into a FIFO queue in group order, and a move
// task brings the messages back in the same order, behind what the source
// already holds.
func TestFIFODeadLetterAndMoveKeepOrder(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, clock *fakeClock) {
		dlq := mustCreate(t, e, "dlq.fifo", fifoAttrs)
		policy := fmt.Sprintf(`{"deadLetterTargetArn":"%s","maxReceiveCount":1}`, dlq.ARN())
		src := mustCreate(t, e, "src.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true", queues.AttrRedrivePolicy: policy})
		for i := range 6 {
			fifoSend(t, e, src, fmt.Sprint("g", i%2), "", fmt.Sprint("m", i))
		}
		// One receive each, never deleted: the next receive dead-letters
		// them.
		for range 4 {
			receive(t, e, src, 10)
			clock.AdvanceSeconds(31)
		}
		if got := receive(t, e, src, 10); len(got) != 0 {
			t.Fatalf("source still delivers %s", joinBodies(got))
		}
		perGroup := func(msgs []engine.Message) map[string]string {
			out := map[string]string{}
			for _, m := range msgs {
				g := m.Attributes["MessageGroupId"]
				out[g] = strings.TrimPrefix(out[g]+","+m.Body, ",")
			}
			return out
		}
		got := perGroup(receive(t, e, dlq, 10))
		if got["g0"] != "m0,m2,m4" || got["g1"] != "m1,m3,m5" {
			t.Fatalf("dead-letter queue groups: %v", got)
		}
		clock.AdvanceSeconds(31)
		fifoSend(t, e, src, "g0", "", "later")
		if _, err := e.StartMessageMoveTask(ctx, dlq, nil, 0); err != nil {
			t.Fatal(err)
		}
		waitStatus(t, e, dlq, engine.MoveTaskCompleted)
		var all []engine.Message
		for {
			msgs := receive(t, e, src, 10)
			if len(msgs) == 0 {
				break
			}
			all = append(all, msgs...)
			deleteAll(t, e, src, msgs)
		}
		got = perGroup(all)
		if got["g0"] != "later,m0,m2,m4" || got["g1"] != "m1,m3,m5" {
			t.Fatalf("after the move task: %v", got)
		}
	})
}

// Eight consumers receive concurrently, abandoning some receives (released
// at once, or left to time out), and every group is still delivered and
// deleted in order, each message deleted exactly once.
func TestFIFOOrderUnderConcurrentConsumers(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		groups, perGroup := 8, 40
		if strings.HasSuffix(t.Name(), "tikv") {
			groups, perGroup = 6, 20 // the mock's lock resolution is slow under contention
		}
		e := newEngine(t, store, time.Now)
		r := mustCreate(t, e, "load.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true", "VisibilityTimeout": "2"})
		for k := range perGroup {
			var batch []engine.SendInput
			for g := range groups {
				batch = append(batch, engine.SendInput{Body: fmt.Sprintf("%d/%d", g, k), MessageGroupID: strp(fmt.Sprint("g", g))})
			}
			if _, err := e.SendMessageBatch(ctx, r, batch); err != nil {
				t.Fatal(err)
			}
		}
		var (
			mu        sync.Mutex
			started   = make([][]bool, groups) // a delete of the message was started
			deletions = make([][]int, groups)  // successful deletes, in start order
			remaining = groups * perGroup
			failures  []string
		)
		for g := range started {
			started[g] = make([]bool, perGroup)
		}
		fail := func(format string, args ...any) {
			mu.Lock()
			failures = append(failures, fmt.Sprintf(format, args...))
			mu.Unlock()
		}
		deadline := time.Now().Add(60 * time.Second)
		var wg sync.WaitGroup
		for c := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(c), 7))
				zero := 0
				for time.Now().Before(deadline) {
					mu.Lock()
					done := remaining == 0
					mu.Unlock()
					if done {
						return
					}
					msgs, err := e.ReceiveMessage(ctx, r, engine.ReceiveInput{MaxNumberOfMessages: 1 + rng.IntN(10), WaitTimeSeconds: &zero})
					if err != nil {
						fail("receive: %v", err)
						return
					}
					if len(msgs) == 0 {
						time.Sleep(5 * time.Millisecond)
						continue
					}
					// Check order: each group's messages are consecutive and
					// every earlier one of the group is deleted (or being).
					last := map[int]int{}
					mu.Lock()
					for _, m := range msgs {
						var g, k int
						fmt.Sscanf(m.Body, "%d/%d", &g, &k)
						if prev, ok := last[g]; ok && k != prev+1 {
							failures = append(failures, fmt.Sprintf("batch holds %d/%d after %d/%d", g, k, g, prev))
						}
						if _, ok := last[g]; !ok && k > 0 && !started[g][k-1] {
							failures = append(failures, fmt.Sprintf("received %d/%d while %d/%d is not deleted", g, k, g, k-1))
						}
						last[g] = k
					}
					mu.Unlock()
					switch p := rng.IntN(100); {
					case p < 12: // abandon: release at once
						for _, m := range msgs {
							// Past its 2 s visibility (a loaded machine) the
							// message is no longer in flight: SQS's error, and
							// the message is visible again anyway.
							if err := e.ChangeMessageVisibility(ctx, r, m.ReceiptHandle, 0); err != nil && !errors.Is(err, sqserr.ErrMessageNotInflight) {
								fail("release: %v", err)
							}
						}
						continue
					case p < 15: // abandon: let it time out
						continue
					}
					for _, m := range msgs {
						var g, k int
						fmt.Sscanf(m.Body, "%d/%d", &g, &k)
						// Deletes are recorded when they start: the next
						// message's receive and delete can complete before
						// this call returns.
						mu.Lock()
						started[g][k] = true
						deletions[g] = append(deletions[g], k)
						mu.Unlock()
						err := e.DeleteMessage(ctx, r, m.ReceiptHandle)
						mu.Lock()
						if err != nil { // timed out under load: it comes back
							started[g][k] = false
							if i := slices.Index(deletions[g], k); i >= 0 {
								deletions[g] = slices.Delete(deletions[g], i, i+1)
							}
							mu.Unlock()
							break
						}
						remaining--
						mu.Unlock()
					}
				}
			}()
		}
		wg.Wait()
		if len(failures) > 0 {
			t.Fatalf("%d order violations, first: %v", len(failures), failures[:min(5, len(failures))])
		}
		for g, ks := range deletions {
			if len(ks) != perGroup {
				t.Fatalf("group %d: %d of %d deleted (%v)", g, len(ks), perGroup, ks)
			}
			for i, k := range ks {
				if k != i {
					t.Fatalf("group %d deleted out of order: %v", g, ks)
				}
			}
		}
	})
}

// One busy group must not starve the others: groups take turns. The test
// measures, under a skewed backlog (one group with 400 messages, 9 with 20),
// how far into the delivery sequence each light group finished.
func TestFIFOFairGroups(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, clock *fakeClock) {
		r := mustCreate(t, e, "fair.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
		send := func(group string, n int) {
			for i := 0; i < n; i += 10 {
				var batch []engine.SendInput
				for j := i; j < min(i+10, n); j++ {
					batch = append(batch, engine.SendInput{Body: fmt.Sprintf("%s/%d", group, j), MessageGroupID: strp(group)})
				}
				if _, err := e.SendMessageBatch(ctx, r, batch); err != nil {
					t.Fatal(err)
				}
			}
		}
		send("busy", 400) // the busy group's backlog is all older
		for g := range 9 {
			send(fmt.Sprint("light", g), 20)
		}
		total := 400 + 9*20
		delivered, lightDone := 0, map[string]int{}
		for delivered < total {
			msgs := receive(t, e, r, 10)
			if len(msgs) == 0 {
				t.Fatalf("nothing to receive after %d of %d", delivered, total)
			}
			for _, m := range msgs {
				delivered++
				if g := m.Attributes["MessageGroupId"]; g != "busy" && strings.HasSuffix(m.Body, "/19") {
					lightDone[g] = delivered
				}
			}
			deleteAll(t, e, r, msgs)
			clock.Advance(time.Millisecond)
		}
		worst := 0
		for _, at := range lightDone {
			worst = max(worst, at)
		}
		t.Logf("skewed backlog (busy 400, 9 light × 20): every light group finished by delivery %d of %d (%.0f%%); without turns it would be %d",
			worst, total, 100*float64(worst)/float64(total), total)
		if len(lightDone) != 9 || worst > total/2 {
			t.Fatalf("light groups finished at %v of %d deliveries", lightDone, total)
		}
	})
}
