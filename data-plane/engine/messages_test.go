package engine_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/msgattr"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
)

func TestSendReceiveDelete(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, clock *fakeClock) {
		q := mustCreate(t, e, "q", nil)
		attrs := msgattr.Attributes{
			"colour": {DataType: "String", StringValue: "blue"},
			"n":      {DataType: "Number", StringValue: "42"},
			"raw":    {DataType: "Binary", BinaryValue: []byte{0, 1, 2}},
		}
		sent, err := e.SendMessage(ctx, q, engine.SendInput{
			Body: "hello ☃", Attributes: attrs, SenderID: "AIDA1",
			SystemAttributes: msgattr.Attributes{"AWSTraceHeader": {DataType: "String", StringValue: "Root=1-5759e988-bd862e3fe1be46a994272793"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if sent.MD5OfMessageBody != msgattr.MD5OfBody("hello ☃") || sent.MD5OfMessageAttributes != msgattr.MD5OfAttributes(attrs) || sent.MessageID == "" {
			t.Fatalf("send result %+v", sent)
		}
		msgs := receive(t, e, q, 10)
		if len(msgs) != 1 {
			t.Fatalf("received %d", len(msgs))
		}
		m := msgs[0]
		if m.MessageID != sent.MessageID || m.Body != "hello ☃" || m.MD5OfBody != sent.MD5OfMessageBody || m.MD5OfMessageAttributes != sent.MD5OfMessageAttributes {
			t.Fatalf("received %+v", m)
		}
		if m.Attributes["ApproximateReceiveCount"] != "1" || m.Attributes["SenderId"] != "AIDA1" ||
			m.Attributes["SentTimestamp"] != fmt.Sprint(clock.Now().UnixMilli()) ||
			m.Attributes["AWSTraceHeader"] == "" || len(m.MessageAttributes) != 3 {
			t.Fatalf("attributes %v %v", m.Attributes, m.MessageAttributes)
		}
		if err := e.DeleteMessage(ctx, q, m.ReceiptHandle); err != nil {
			t.Fatal(err)
		}
		if err := e.DeleteMessage(ctx, q, m.ReceiptHandle); err != nil {
			t.Fatalf("second delete: %v", err)
		}
		clock.AdvanceSeconds(31)
		if msgs := receive(t, e, q, 10); len(msgs) != 0 {
			t.Fatalf("deleted message came back: %v", msgs)
		}
	})
}

func TestAttributeSelection(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, _ *fakeClock) {
		q := mustCreate(t, e, "q", nil)
		attrs := msgattr.Attributes{"a.x": {DataType: "String", StringValue: "1"}, "b": {DataType: "String", StringValue: "2"}}
		if _, err := e.SendMessage(ctx, q, engine.SendInput{Body: "x", Attributes: attrs}); err != nil {
			t.Fatal(err)
		}
		msgs, err := e.ReceiveMessage(ctx, q, engine.ReceiveInput{MessageAttributeNames: []string{"a.*"}, AttributeNames: []string{"SentTimestamp"}})
		if err != nil || len(msgs) != 1 {
			t.Fatalf("%v %v", msgs, err)
		}
		m := msgs[0]
		want := msgattr.Attributes{"a.x": attrs["a.x"]}
		if len(m.MessageAttributes) != 1 || m.MD5OfMessageAttributes != msgattr.MD5OfAttributes(want) || len(m.Attributes) != 1 || m.Attributes["SentTimestamp"] == "" {
			t.Fatalf("selection: %+v", m)
		}
		_, err = e.ReceiveMessage(ctx, q, engine.ReceiveInput{AttributeNames: []string{"Bogus"}})
		wantCode(t, err, sqserr.CodeInvalidAttributeName)
	})
}

func TestSendValidation(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, _ *fakeClock) {
		q := mustCreate(t, e, "q", map[string]string{queues.AttrMaximumMessageSize: "1024"})
		cases := []struct {
			in   engine.SendInput
			code string
		}{
			{engine.SendInput{Body: ""}, sqserr.CodeMissingParameter},
			{engine.SendInput{Body: strings.Repeat("x", 1025)}, sqserr.CodeInvalidParameterValue},
			{engine.SendInput{Body: "x", DelaySeconds: intp(901)}, sqserr.CodeInvalidParameterValue},
			{engine.SendInput{Body: "x", DelaySeconds: intp(-1)}, sqserr.CodeInvalidParameterValue},
			{engine.SendInput{Body: "bad \x00 char"}, "InvalidMessageContents"},
		}
		for _, tc := range cases {
			_, err := e.SendMessage(ctx, q, tc.in)
			wantCode(t, err, tc.code)
		}
		// In a batch, a bad entry fails alone.
		results, err := e.SendMessageBatch(ctx, q, []engine.SendInput{{Body: "ok"}, {Body: ""}, {Body: "ok too"}})
		if err != nil || results[0].Err != nil || results[1].Err == nil || results[2].Err != nil {
			t.Fatalf("batch: %+v %v", results, err)
		}
		if msgs := receive(t, e, q, 10); len(msgs) != 2 {
			t.Fatalf("received %d, want the 2 valid entries", len(msgs))
		}
		_, err = e.SendMessage(ctx, ref("missing"), engine.SendInput{Body: "x"})
		wantCode(t, err, sqserr.CodeQueueDoesNotExist)
	})
}

func TestVisibilityTimeout(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, clock *fakeClock) {
		q := mustCreate(t, e, "q", nil)
		mustSend(t, e, q, "m")
		first := receive(t, e, q, 1)[0]
		clock.AdvanceSeconds(29)
		if got := receive(t, e, q, 1); len(got) != 0 {
			t.Fatal("message visible before its timeout")
		}
		clock.AdvanceSeconds(2)
		again := receive(t, e, q, 1)
		if len(again) != 1 || again[0].Attributes["ApproximateReceiveCount"] != "2" {
			t.Fatalf("after timeout: %+v", again)
		}
		// The first handle is stale: deleting with it leaves the message.
		if err := e.DeleteMessage(ctx, q, first.ReceiptHandle); err != nil {
			t.Fatal(err)
		}
		wantCode(t, e.ChangeMessageVisibility(ctx, q, first.ReceiptHandle, 10), sqserr.CodeInvalidParameterValue)
		// Visibility 0 releases it at once.
		if err := e.ChangeMessageVisibility(ctx, q, again[0].ReceiptHandle, 0); err != nil {
			t.Fatal(err)
		}
		third := receive(t, e, q, 1)
		if len(third) != 1 {
			t.Fatal("visibility 0 did not release the message")
		}
		// Per-call visibility timeout, then extend it.
		if err := e.ChangeMessageVisibility(ctx, q, third[0].ReceiptHandle, 100); err != nil {
			t.Fatal(err)
		}
		clock.AdvanceSeconds(99)
		if got := receive(t, e, q, 1); len(got) != 0 {
			t.Fatal("extended message visible early")
		}
		clock.AdvanceSeconds(2)
		fourth := receive(t, e, q, 1)
		if len(fourth) != 1 {
			t.Fatal("extended message never came back")
		}
		// Not in flight any more once its timeout passed.
		clock.AdvanceSeconds(31)
		wantCode(t, e.ChangeMessageVisibility(ctx, q, fourth[0].ReceiptHandle, 10), sqserr.CodeMessageNotInflight)
		wantCode(t, e.ChangeMessageVisibility(ctx, q, fourth[0].ReceiptHandle, 43201), sqserr.CodeInvalidParameterValue)

		zero := 0
		msgs, err := e.ReceiveMessage(ctx, q, engine.ReceiveInput{VisibilityTimeout: intp(5), WaitTimeSeconds: &zero})
		if err != nil || len(msgs) != 1 {
			t.Fatal(msgs, err)
		}
		clock.AdvanceSeconds(6)
		if got := receive(t, e, q, 1); len(got) != 1 {
			t.Fatal("per-call visibility timeout not used")
		}
	})
}

func TestReceiptHandles(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, _ *fakeClock) {
		q := mustCreate(t, e, "q", nil)
		other := mustCreate(t, e, "other", nil)
		mustSend(t, e, q, "m")
		h := receive(t, e, q, 1)[0].ReceiptHandle
		foreignTenant := queues.Ref{Account: "999988887777", Region: "us-east-1", Name: "q"}
		if _, err := e.Catalog().Create(ctx, foreignTenant, nil, nil); err != nil {
			t.Fatal(err)
		}
		forged := h[:len(h)-2] + "AA"
		if forged == h {
			forged = h[:len(h)-2] + "BB"
		}
		for name, try := range map[string]func() error{
			"forged":       func() error { return e.DeleteMessage(ctx, q, forged) },
			"garbage":      func() error { return e.DeleteMessage(ctx, q, "not-a-handle") },
			"other queue":  func() error { return e.DeleteMessage(ctx, other, h) },
			"other tenant": func() error { return e.DeleteMessage(ctx, foreignTenant, h) },
			"visibility":   func() error { return e.ChangeMessageVisibility(ctx, foreignTenant, h, 0) },
		} {
			err := try()
			if !errors.Is(err, sqserr.ErrReceiptHandleIsInvalid) {
				t.Errorf("%s: want ReceiptHandleIsInvalid, got %v", name, err)
			}
		}
		attrs, _ := e.GetQueueAttributes(ctx, q, []string{queues.AttrApproximateNumberOfMessagesNotVisible})
		if attrs[queues.AttrApproximateNumberOfMessagesNotVisible] != "1" {
			t.Fatalf("message disturbed by foreign handles: %v", attrs)
		}
	})
}

func TestDelays(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, clock *fakeClock) {
		q := mustCreate(t, e, "q", map[string]string{queues.AttrDelaySeconds: "10"})
		mustSend(t, e, q, "queue delay")
		if _, err := e.SendMessage(ctx, q, engine.SendInput{Body: "no delay", DelaySeconds: intp(0)}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.SendMessage(ctx, q, engine.SendInput{Body: "long delay", DelaySeconds: intp(900)}); err != nil {
			t.Fatal(err)
		}
		counts := func() map[string]string {
			a, err := e.GetQueueAttributes(ctx, q, []string{"All"})
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		if a := counts(); a[queues.AttrApproximateNumberOfMessages] != "1" || a[queues.AttrApproximateNumberOfMessagesDelayed] != "2" {
			t.Fatalf("counts %v", a)
		}
		expect := func(body string) {
			t.Helper()
			got := receive(t, e, q, 10)
			if len(got) != 1 || got[0].Body != body {
				t.Fatalf("got %v, want %q", got, body)
			}
			if err := e.DeleteMessage(ctx, q, got[0].ReceiptHandle); err != nil {
				t.Fatal(err)
			}
		}
		expect("no delay")
		clock.AdvanceSeconds(9)
		if got := receive(t, e, q, 10); len(got) != 0 {
			t.Fatalf("delayed message visible early: %v", got)
		}
		clock.AdvanceSeconds(1)
		expect("queue delay")
		clock.AdvanceSeconds(890)
		if a := counts(); a[queues.AttrApproximateNumberOfMessagesDelayed] != "0" || a[queues.AttrApproximateNumberOfMessages] != "1" {
			t.Fatalf("counts %v", a)
		}
		expect("long delay")
		if a := counts(); a[queues.AttrApproximateNumberOfMessagesNotVisible] != "0" || a[queues.AttrApproximateNumberOfMessages] != "0" {
			t.Fatalf("counts %v", a)
		}
	})
}

func TestDeadLetterQueue(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, clock *fakeClock) {
		dlq := mustCreate(t, e, "dlq", nil)
		policy := fmt.Sprintf(`{"deadLetterTargetArn":"%s","maxReceiveCount":"2"}`, dlq.ARN())
		src := mustCreate(t, e, "src", map[string]string{queues.AttrRedrivePolicy: policy})
		sent, err := e.SendMessage(ctx, src, engine.SendInput{Body: "poison", Attributes: msgattr.Attributes{"k": {DataType: "String", StringValue: "v"}}})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 2 {
			if got := receive(t, e, src, 1); len(got) != 1 {
				t.Fatalf("receive %d: %v", i+1, got)
			}
			clock.AdvanceSeconds(31)
		}
		// The third receive would pass maxReceiveCount: the message moves.
		if got := receive(t, e, src, 1); len(got) != 0 {
			t.Fatalf("third receive got %v", got)
		}
		got := receive(t, e, dlq, 1)
		if len(got) != 1 {
			t.Fatal("message not in the dead-letter queue")
		}
		m := got[0]
		if m.MessageID != sent.MessageID || m.Body != "poison" || m.MD5OfMessageAttributes != sent.MD5OfMessageAttributes ||
			m.Attributes["DeadLetterQueueSourceArn"] != src.ARN() {
			t.Fatalf("dead-lettered message %+v", m)
		}
		names, _, err := e.Catalog().ListDeadLetterSources(ctx, dlq, 0, "")
		if err != nil || len(names) != 1 || names[0] != "src" {
			t.Fatalf("sources %v %v", names, err)
		}

		// RedriveAllowPolicy: denyAll refuses new sources.
		deny := mustCreate(t, e, "deny", map[string]string{queues.AttrRedriveAllowPolicy: `{"redrivePermission":"denyAll"}`})
		_, err = e.Catalog().Create(ctx, ref("src2"), map[string]string{queues.AttrRedrivePolicy: fmt.Sprintf(`{"deadLetterTargetArn":"%s","maxReceiveCount":3}`, deny.ARN())}, nil)
		wantCode(t, err, sqserr.CodeInvalidParameterValue)
		byQueue := fmt.Sprintf(`{"redrivePermission":"byQueue","sourceQueueArns":["%s"]}`, ref("src3").ARN())
		allow := mustCreate(t, e, "allow", map[string]string{queues.AttrRedriveAllowPolicy: byQueue})
		redrive := fmt.Sprintf(`{"deadLetterTargetArn":"%s","maxReceiveCount":3}`, allow.ARN())
		mustCreate(t, e, "src3", map[string]string{queues.AttrRedrivePolicy: redrive})
		_, err = e.Catalog().Create(ctx, ref("src4"), map[string]string{queues.AttrRedrivePolicy: redrive}, nil)
		wantCode(t, err, sqserr.CodeInvalidParameterValue)
		// A target in another account is reported as missing.
		foreign := `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:999988887777:dlq","maxReceiveCount":3}`
		wantCode(t, e.Catalog().SetAttributes(ctx, src, map[string]string{queues.AttrRedrivePolicy: foreign}), sqserr.CodeInvalidParameterValue)
		for _, bad := range []string{`{"maxReceiveCount":3}`, `{"deadLetterTargetArn":"x","maxReceiveCount":3}`, `{"deadLetterTargetArn":"` + dlq.ARN() + `","maxReceiveCount":0}`, `nope`} {
			wantCode(t, e.Catalog().SetAttributes(ctx, src, map[string]string{queues.AttrRedrivePolicy: bad}), sqserr.CodeInvalidParameterValue)
		}
	})
}

func TestRetention(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, clock *fakeClock) {
		q := mustCreate(t, e, "q", map[string]string{queues.AttrMessageRetentionPeriod: "60"})
		idle := mustCreate(t, e, "idle", map[string]string{queues.AttrMessageRetentionPeriod: "60"})
		mustSend(t, e, q, "old")
		for range 3 {
			mustSend(t, e, idle, "old")
		}
		clock.AdvanceSeconds(61)
		mustSend(t, e, q, "new")
		got := receive(t, e, q, 10)
		if len(got) != 1 || got[0].Body != "new" {
			t.Fatalf("got %v, want only the unexpired message", got)
		}
		if err := e.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		a, _ := e.GetQueueAttributes(ctx, idle, []string{queues.AttrApproximateNumberOfMessages})
		if a[queues.AttrApproximateNumberOfMessages] != "0" {
			t.Fatalf("sweeper left %s messages in the idle queue", a[queues.AttrApproximateNumberOfMessages])
		}
		if got := receive(t, e, idle, 10); len(got) != 0 {
			t.Fatalf("expired messages returned: %v", got)
		}
	})
}

func TestReceiveValidation(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, _ *fakeClock) {
		q := mustCreate(t, e, "q", nil)
		for _, in := range []engine.ReceiveInput{
			{MaxNumberOfMessages: 11}, {MaxNumberOfMessages: -1},
			{VisibilityTimeout: intp(43201)}, {WaitTimeSeconds: intp(21)}, {WaitTimeSeconds: intp(-1)},
		} {
			_, err := e.ReceiveMessage(ctx, q, in)
			wantCode(t, err, sqserr.CodeInvalidParameterValue)
		}
	})
}

func TestLongPolling(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, _ *fakeClock) {
		q := mustCreate(t, e, "q", nil)
		start := time.Now()
		got, err := e.ReceiveMessage(ctx, q, engine.ReceiveInput{WaitTimeSeconds: intp(1)})
		if err != nil || len(got) != 0 {
			t.Fatal(got, err)
		}
		// The wait's deadline is by the wall clock (no fake clock here). The
		// floor protects "it waits as asked"; the ceiling, wide for a loaded
		// 2-core machine and the tikv mock, protects "it ends at the asked 1 s,
		// not at the 20 s most".
		if d := time.Since(start); d < 900*time.Millisecond || d > 10*time.Second {
			t.Fatalf("empty long poll returned after %v, want about 1s (at most 10 s)", d)
		}
	})
}
