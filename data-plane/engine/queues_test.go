package engine_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
)

func TestAttributeBounds(t *testing.T) {
	cases := []struct {
		name   string
		lo, hi int
		deflt  string
	}{
		{queues.AttrDelaySeconds, 0, 900, "0"},
		{queues.AttrMaximumMessageSize, 1024, 1048576, "1048576"},
		{queues.AttrMessageRetentionPeriod, 60, 1209600, "345600"},
		{queues.AttrReceiveMessageWaitTimeSeconds, 0, 20, "0"},
		{queues.AttrVisibilityTimeout, 0, 43200, "30"},
	}
	forEachDriver(t, func(t *testing.T, e *engine.Engine, _ *fakeClock) {
		def := mustCreate(t, e, "defaults", nil)
		got, err := e.GetQueueAttributes(ctx, def, []string{"All"})
		if err != nil {
			t.Fatal(err)
		}
		for i, tc := range cases {
			if got[tc.name] != tc.deflt {
				t.Errorf("default %s = %q, want %s", tc.name, got[tc.name], tc.deflt)
			}
			for _, v := range []struct {
				value string
				ok    bool
			}{
				{fmt.Sprint(tc.lo), true}, {fmt.Sprint(tc.hi), true},
				{fmt.Sprint(tc.lo - 1), false}, {fmt.Sprint(tc.hi + 1), false}, {"ten", false}, {"", false},
			} {
				name := fmt.Sprintf("q%d-%s", i, strings.ReplaceAll(v.value, "-", "m"))
				_, err := e.Catalog().Create(ctx, ref(name), map[string]string{tc.name: v.value}, nil)
				if v.ok && err != nil {
					t.Errorf("%s=%s: %v", tc.name, v.value, err)
				}
				if !v.ok {
					wantCode(t, err, sqserr.CodeInvalidAttributeValue)
					if err := e.Catalog().SetAttributes(ctx, def, map[string]string{tc.name: v.value}); err == nil {
						t.Errorf("SetQueueAttributes %s=%s accepted", tc.name, v.value)
					}
				}
			}
		}
		after, _ := e.GetQueueAttributes(ctx, def, []string{"All"})
		for _, tc := range cases {
			if after[tc.name] != tc.deflt {
				t.Errorf("a rejected SetQueueAttributes changed %s to %s", tc.name, after[tc.name])
			}
		}
	})
}

func TestAttributeNamesAndPolicies(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, _ *fakeClock) {
		q := mustCreate(t, e, "q", nil)
		wantCode(t, e.Catalog().SetAttributes(ctx, q, map[string]string{"Colour": "blue"}), sqserr.CodeInvalidAttributeName)
		wantCode(t, e.Catalog().SetAttributes(ctx, q, map[string]string{queues.AttrQueueArn: "x"}), sqserr.CodeInvalidAttributeName)
		wantCode(t, e.Catalog().SetAttributes(ctx, q, map[string]string{queues.AttrPolicy: "{not json"}), sqserr.CodeInvalidAttributeValue)
		// All or nothing: a valid attribute next to an invalid one is not applied.
		err := e.Catalog().SetAttributes(ctx, q, map[string]string{queues.AttrVisibilityTimeout: "60", queues.AttrDelaySeconds: "901"})
		wantCode(t, err, sqserr.CodeInvalidAttributeValue)
		attrs, _ := e.GetQueueAttributes(ctx, q, []string{queues.AttrVisibilityTimeout})
		if attrs[queues.AttrVisibilityTimeout] != "30" {
			t.Fatalf("partial update applied: %v", attrs)
		}
		policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"*"}]}`
		if err := e.Catalog().SetAttributes(ctx, q, map[string]string{queues.AttrPolicy: policy}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.GetQueueAttributes(ctx, q, []string{"Nope"}); err == nil {
			t.Fatal("unknown attribute name accepted by GetQueueAttributes")
		}
		got, _ := e.GetQueueAttributes(ctx, q, []string{queues.AttrPolicy, queues.AttrQueueArn})
		if got[queues.AttrPolicy] != policy || got[queues.AttrQueueArn] != "arn:aws:sqs:us-east-1:111122223333:q" || len(got) != 2 {
			t.Fatalf("got %v", got)
		}
	})
}

func TestCreateQueueIdempotence(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, clock *fakeClock) {
		mustCreate(t, e, "q", map[string]string{queues.AttrVisibilityTimeout: "45"})
		if _, err := e.Catalog().Create(ctx, ref("q"), map[string]string{queues.AttrVisibilityTimeout: "45"}, nil); err != nil {
			t.Fatalf("identical create: %v", err)
		}
		if _, err := e.Catalog().Create(ctx, ref("q"), nil, nil); err != nil {
			t.Fatalf("create without attributes: %v", err)
		}
		_, err := e.Catalog().Create(ctx, ref("q"), map[string]string{queues.AttrVisibilityTimeout: "46"}, nil)
		wantCode(t, err, sqserr.CodeQueueAlreadyExists)
		for _, bad := range []string{"", "has space", strings.Repeat("x", 81), "slash/name"} {
			_, err := e.Catalog().Create(ctx, ref(bad), nil, nil)
			wantCode(t, err, sqserr.CodeInvalidParameterValue)
		}

		// Delete, then the name is quarantined for 60 s.
		if err := e.DeleteQueue(ctx, ref("q")); err != nil {
			t.Fatal(err)
		}
		_, err = e.Catalog().Get(ctx, ref("q"))
		wantCode(t, err, sqserr.CodeQueueDoesNotExist)
		wantCode(t, e.DeleteQueue(ctx, ref("q")), sqserr.CodeQueueDoesNotExist)
		_, err = e.Catalog().Create(ctx, ref("q"), nil, nil)
		wantCode(t, err, sqserr.CodeQueueDeletedRecently)
		clock.AdvanceSeconds(61)
		if _, err := e.Catalog().Create(ctx, ref("q"), nil, nil); err != nil {
			t.Fatal(err)
		}
	})
}

func TestPurgeQueue(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, clock *fakeClock) {
		q := mustCreate(t, e, "q", nil)
		for i := range 5 {
			mustSend(t, e, q, fmt.Sprint(i))
		}
		inflight := receive(t, e, q, 1)
		if err := e.PurgeQueue(ctx, q); err != nil {
			t.Fatal(err)
		}
		if msgs := receive(t, e, q, 10); len(msgs) != 0 {
			t.Fatalf("received %d messages after purge", len(msgs))
		}
		// A handle from before the purge deletes nothing and fails nothing.
		if err := e.DeleteMessage(ctx, q, inflight[0].ReceiptHandle); err != nil {
			t.Fatal(err)
		}
		wantCode(t, e.PurgeQueue(ctx, q), sqserr.CodePurgeQueueInProgress)
		clock.AdvanceSeconds(61)
		if err := e.PurgeQueue(ctx, q); err != nil {
			t.Fatal(err)
		}
		mustSend(t, e, q, "after")
		if msgs := receive(t, e, q, 10); len(msgs) != 1 || msgs[0].Body != "after" {
			t.Fatalf("after purge: %v", msgs)
		}
		if err := e.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
