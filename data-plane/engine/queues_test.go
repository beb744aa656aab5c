package engine_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/sluice-mq/sluice/data-plane/engine"
)

func TestAttributeBounds(t *testing.T) {
	cases := []struct {
		name   string
		lo, hi int
		deflt  string
	}{
		{engine.AttrDelaySeconds, 0, 900, "0"},
		{engine.AttrMaximumMessageSize, 1024, 1048576, "1048576"},
		{engine.AttrMessageRetentionPeriod, 60, 1209600, "345600"},
		{engine.AttrReceiveMessageWaitTimeSeconds, 0, 20, "0"},
		{engine.AttrVisibilityTimeout, 0, 43200, "30"},
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
				_, err := e.CreateQueue(ctx, ref(name), map[string]string{tc.name: v.value}, nil)
				if v.ok && err != nil {
					t.Errorf("%s=%s: %v", tc.name, v.value, err)
				}
				if !v.ok {
					wantCode(t, err, engine.CodeInvalidAttributeValue)
					if err := e.SetQueueAttributes(ctx, def, map[string]string{tc.name: v.value}); err == nil {
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
		wantCode(t, e.SetQueueAttributes(ctx, q, map[string]string{"Colour": "blue"}), engine.CodeInvalidAttributeName)
		wantCode(t, e.SetQueueAttributes(ctx, q, map[string]string{engine.AttrQueueArn: "x"}), engine.CodeInvalidAttributeName)
		wantCode(t, e.SetQueueAttributes(ctx, q, map[string]string{engine.AttrPolicy: "{not json"}), engine.CodeInvalidAttributeValue)
		// All or nothing: a valid attribute next to an invalid one is not applied.
		err := e.SetQueueAttributes(ctx, q, map[string]string{engine.AttrVisibilityTimeout: "60", engine.AttrDelaySeconds: "901"})
		wantCode(t, err, engine.CodeInvalidAttributeValue)
		attrs, _ := e.GetQueueAttributes(ctx, q, []string{engine.AttrVisibilityTimeout})
		if attrs[engine.AttrVisibilityTimeout] != "30" {
			t.Fatalf("partial update applied: %v", attrs)
		}
		policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"*"}]}`
		if err := e.SetQueueAttributes(ctx, q, map[string]string{engine.AttrPolicy: policy}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.GetQueueAttributes(ctx, q, []string{"Nope"}); err == nil {
			t.Fatal("unknown attribute name accepted by GetQueueAttributes")
		}
		got, _ := e.GetQueueAttributes(ctx, q, []string{engine.AttrPolicy, engine.AttrQueueArn})
		if got[engine.AttrPolicy] != policy || got[engine.AttrQueueArn] != "arn:aws:sqs:us-east-1:111122223333:q" || len(got) != 2 {
			t.Fatalf("got %v", got)
		}
	})
}

func TestCreateQueueIdempotence(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, clock *fakeClock) {
		mustCreate(t, e, "q", map[string]string{engine.AttrVisibilityTimeout: "45"})
		if _, err := e.CreateQueue(ctx, ref("q"), map[string]string{engine.AttrVisibilityTimeout: "45"}, nil); err != nil {
			t.Fatalf("identical create: %v", err)
		}
		if _, err := e.CreateQueue(ctx, ref("q"), nil, nil); err != nil {
			t.Fatalf("create without attributes: %v", err)
		}
		_, err := e.CreateQueue(ctx, ref("q"), map[string]string{engine.AttrVisibilityTimeout: "46"}, nil)
		wantCode(t, err, engine.CodeQueueAlreadyExists)
		for _, bad := range []string{"", "has space", strings.Repeat("x", 81), "slash/name"} {
			_, err := e.CreateQueue(ctx, ref(bad), nil, nil)
			wantCode(t, err, engine.CodeInvalidParameterValue)
		}

		// Delete, then the name is quarantined for 60 s.
		if err := e.DeleteQueue(ctx, ref("q")); err != nil {
			t.Fatal(err)
		}
		_, err = e.GetQueue(ctx, ref("q"))
		wantCode(t, err, engine.CodeQueueDoesNotExist)
		wantCode(t, e.DeleteQueue(ctx, ref("q")), engine.CodeQueueDoesNotExist)
		_, err = e.CreateQueue(ctx, ref("q"), nil, nil)
		wantCode(t, err, engine.CodeQueueDeletedRecently)
		clock.AdvanceSeconds(61)
		if _, err := e.CreateQueue(ctx, ref("q"), nil, nil); err != nil {
			t.Fatal(err)
		}
	})
}

func TestListQueuesAndIsolation(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, _ *fakeClock) {
		for i := range 25 {
			mustCreate(t, e, fmt.Sprintf("orders-%02d", i), nil)
		}
		mustCreate(t, e, "payments", nil)
		other := engine.QueueRef{Account: "999988887777", Region: "us-east-1", Name: "orders-secret"}
		if _, err := e.CreateQueue(ctx, other, nil, nil); err != nil {
			t.Fatal(err)
		}
		var all []string
		token := ""
		for pages := 0; ; pages++ {
			names, next, err := e.ListQueues(ctx, "111122223333", "us-east-1", "orders-", 10, token)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, names...)
			if next == "" {
				break
			}
			token = next
			if pages > 5 {
				t.Fatal("pagination does not end")
			}
		}
		if len(all) != 25 || !slices.IsSorted(all) || slices.Contains(all, "orders-secret") {
			t.Fatalf("listed %v", all)
		}
		names, next, _ := e.ListQueues(ctx, "111122223333", "us-east-1", "", 0, "")
		if len(names) != 26 || next != "" {
			t.Fatalf("unpaginated list: %d names, next %q", len(names), next)
		}
		if names, _, _ := e.ListQueues(ctx, "111122223333", "eu-west-1", "", 0, ""); len(names) != 0 {
			t.Fatalf("another region lists %v", names)
		}
		_, _, err := e.ListQueues(ctx, "111122223333", "us-east-1", "", 1001, "")
		wantCode(t, err, engine.CodeInvalidParameterValue)
		// The other tenant's queue is not reachable under this account.
		_, err = e.GetQueue(ctx, engine.QueueRef{Account: "111122223333", Region: "us-east-1", Name: "orders-secret"})
		wantCode(t, err, engine.CodeQueueDoesNotExist)
	})
}

func TestTags(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, _ *fakeClock) {
		q := ref("q")
		if _, err := e.CreateQueue(ctx, q, nil, map[string]string{"team": "a"}); err != nil {
			t.Fatal(err)
		}
		if err := e.TagQueue(ctx, q, map[string]string{"env": "prod", "team": "b"}); err != nil {
			t.Fatal(err)
		}
		if err := e.UntagQueue(ctx, q, []string{"env", "missing"}); err != nil {
			t.Fatal(err)
		}
		tags, err := e.ListQueueTags(ctx, q)
		if err != nil || len(tags) != 1 || tags["team"] != "b" {
			t.Fatalf("tags %v, %v", tags, err)
		}
		wantCode(t, e.TagQueue(ctx, q, map[string]string{"aws:x": "1"}), engine.CodeInvalidParameterValue)
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
		wantCode(t, e.PurgeQueue(ctx, q), engine.CodePurgeQueueInProgress)
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
