package engine_test

import (
	"encoding/json"
	"testing"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
)

func TestPermissions(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, _ *fakeClock) {
		q := mustCreate(t, e, "shared", nil)
		if err := e.Catalog().AddPermission(ctx, q, "send-from-b", []string{"444455556666"}, []string{"SendMessage"}); err != nil {
			t.Fatal(err)
		}
		if err := e.Catalog().AddPermission(ctx, q, "read-from-c", []string{"777788889999", "444455556666"}, []string{"ReceiveMessage", "DeleteMessage"}); err != nil {
			t.Fatal(err)
		}
		policy := func() map[string]any {
			attrs, err := e.GetQueueAttributes(ctx, q, []string{queues.AttrPolicy})
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if attrs[queues.AttrPolicy] == "" {
				return nil
			}
			if err := json.Unmarshal([]byte(attrs[queues.AttrPolicy]), &doc); err != nil {
				t.Fatalf("policy is not JSON: %v", err)
			}
			return doc
		}
		doc := policy()
		stmts := doc["Statement"].([]any)
		if len(stmts) != 2 {
			t.Fatalf("statements = %d, want 2: %v", len(stmts), doc)
		}
		first := stmts[0].(map[string]any)
		if first["Sid"] != "send-from-b" || first["Action"] != "SQS:SendMessage" || first["Resource"] != q.ARN() ||
			first["Principal"].(map[string]any)["AWS"] != "arn:aws:iam::444455556666:root" {
			t.Errorf("statement = %v", first)
		}

		wantCode(t, e.Catalog().AddPermission(ctx, q, "send-from-b", []string{"444455556666"}, []string{"SendMessage"}), sqserr.CodeInvalidParameterValue)
		wantCode(t, e.Catalog().AddPermission(ctx, q, "x", []string{"1234"}, []string{"SendMessage"}), sqserr.CodeInvalidParameterValue)
		wantCode(t, e.Catalog().AddPermission(ctx, q, "x", []string{"444455556666"}, []string{"CreateQueue"}), sqserr.CodeInvalidParameterValue)
		wantCode(t, e.Catalog().AddPermission(ctx, q, "bad label!", []string{"444455556666"}, []string{"SendMessage"}), sqserr.CodeInvalidParameterValue)
		wantCode(t, e.Catalog().AddPermission(ctx, q, "x", nil, []string{"SendMessage"}), sqserr.CodeMissingParameter)
		wantCode(t, e.Catalog().AddPermission(ctx, ref("missing"), "x", []string{"444455556666"}, []string{"SendMessage"}), sqserr.CodeQueueDoesNotExist)

		wantCode(t, e.Catalog().RemovePermission(ctx, q, "nope"), sqserr.CodeInvalidParameterValue)
		if err := e.Catalog().RemovePermission(ctx, q, "send-from-b"); err != nil {
			t.Fatal(err)
		}
		if n := len(policy()["Statement"].([]any)); n != 1 {
			t.Fatalf("statements after remove = %d", n)
		}
		if err := e.Catalog().RemovePermission(ctx, q, "read-from-c"); err != nil {
			t.Fatal(err)
		}
		if doc := policy(); doc != nil {
			t.Fatalf("policy after removing every statement = %v", doc)
		}
	})
}
