package queues

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"

	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/internal/kv"
)

// AddPermission and RemovePermission edit the queue's Policy document the
// way SQS does: one statement per label. The policy is stored and returned
// by GetQueueAttributes, but it grants nothing: a tenant reaches only its
// own account's queues (docs/architecture.md, isolation).

// permissionActions are the actions SQS lets AddPermission share.
var permissionActions = []string{"*", "SendMessage", "ReceiveMessage", "DeleteMessage",
	"ChangeMessageVisibility", "GetQueueAttributes", "GetQueueUrl"}

var (
	labelPattern   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)
	accountPattern = regexp.MustCompile(`^[0-9]{12}$`)
)

// maxPolicyStatements bounds a policy's statements, as SQS's OverLimit does.
const maxPolicyStatements = 20

type policyDoc struct {
	Version   string            `json:"Version"`
	ID        string            `json:"Id,omitempty"`
	Statement []policyStatement `json:"Statement"`
}

type policyStatement struct {
	Sid       string          `json:"Sid"`
	Effect    string          `json:"Effect"`
	Principal json.RawMessage `json:"Principal"`
	Action    json.RawMessage `json:"Action"`
	Resource  string          `json:"Resource"`
}

// AddPermission adds a statement labelled label that lets accounts call
// actions on the queue.
func (c *Catalog) AddPermission(ctx context.Context, ref Ref, label string, accounts, actions []string) error {
	if err := checkPermission(label, accounts, actions); err != nil {
		return err
	}
	return c.editPolicy(ctx, ref, func(doc *policyDoc) error {
		if slices.ContainsFunc(doc.Statement, func(s policyStatement) bool { return s.Sid == label }) {
			return sqserr.Errorf(sqserr.CodeInvalidParameterValue, "Value %s for parameter Label is invalid. Reason: Already exists.", label)
		}
		if len(doc.Statement) >= maxPolicyStatements {
			return sqserr.Errorf(sqserr.CodeOverLimit, "%d statements per policy exceeded.", maxPolicyStatements)
		}
		principals := make([]string, len(accounts))
		for i, a := range accounts {
			principals[i] = "arn:aws:iam::" + a + ":root"
		}
		sqsActions := make([]string, len(actions))
		for i, a := range actions {
			sqsActions[i] = "SQS:" + a
		}
		doc.Statement = append(doc.Statement, policyStatement{
			Sid:       label,
			Effect:    "Allow",
			Principal: mustJSON(map[string]any{"AWS": oneOrMany(principals)}),
			Action:    mustJSON(oneOrMany(sqsActions)),
			Resource:  ref.ARN(),
		})
		return nil
	})
}

// RemovePermission removes the statement labelled label.
func (c *Catalog) RemovePermission(ctx context.Context, ref Ref, label string) error {
	if label == "" {
		return sqserr.Errorf(sqserr.CodeMissingParameter, "The request must contain the parameter Label.")
	}
	return c.editPolicy(ctx, ref, func(doc *policyDoc) error {
		i := slices.IndexFunc(doc.Statement, func(s policyStatement) bool { return s.Sid == label })
		if i < 0 {
			return sqserr.Errorf(sqserr.CodeInvalidParameterValue, "Value %s for parameter Label is invalid. Reason: can't find label on existing policy.", label)
		}
		doc.Statement = slices.Delete(doc.Statement, i, i+1)
		return nil
	})
}

func checkPermission(label string, accounts, actions []string) error {
	switch {
	case label == "":
		return sqserr.Errorf(sqserr.CodeMissingParameter, "The request must contain the parameter Label.")
	case !labelPattern.MatchString(label):
		return sqserr.Errorf(sqserr.CodeInvalidParameterValue, "Value %s for parameter Label is invalid. Reason: Must be at most 80 characters: alphanumeric, hyphen and underscore.", label)
	case len(accounts) == 0:
		return sqserr.Errorf(sqserr.CodeMissingParameter, "The request must contain the parameter AWSAccountIds.")
	case len(actions) == 0:
		return sqserr.Errorf(sqserr.CodeMissingParameter, "The request must contain the parameter Actions.")
	}
	for _, a := range accounts {
		if !accountPattern.MatchString(a) {
			return sqserr.Errorf(sqserr.CodeInvalidParameterValue, "Value %s for parameter AWSAccountIds is invalid. Reason: An AWS account ID is 12 digits.", a)
		}
	}
	for _, a := range actions {
		if !slices.Contains(permissionActions, a) {
			return sqserr.Errorf(sqserr.CodeInvalidParameterValue, "Value SQS:%s for parameter ActionName is invalid. Reason: Only the queue owner is allowed to invoke this action.", a)
		}
	}
	return nil
}

// editPolicy applies edit to the queue's policy in one transaction. An
// emptied policy is removed.
func (c *Catalog) editPolicy(ctx context.Context, ref Ref, edit func(*policyDoc) error) error {
	return c.update(ctx, ref, func(_ kv.Txn, q *Record) error {
		doc := policyDoc{Version: "2012-10-17", ID: ref.ARN() + "/SQSDefaultPolicy"}
		if q.Attributes.Policy != "" {
			if err := json.Unmarshal([]byte(q.Attributes.Policy), &doc); err != nil {
				return sqserr.Errorf(sqserr.CodeInvalidAttributeValue, "The queue's Policy is not a policy AddPermission can edit.")
			}
		}
		if err := edit(&doc); err != nil {
			return err
		}
		q.Attributes.Policy = ""
		if len(doc.Statement) > 0 {
			b := mustJSON(doc)
			if len(b) > maxPolicyBytes {
				return sqserr.Errorf(sqserr.CodeOverLimit, "The policy would exceed %d bytes.", maxPolicyBytes)
			}
			q.Attributes.Policy = string(b)
		}
		q.LastModified = c.clock().Unix()
		return nil
	})
}

func oneOrMany(v []string) any {
	if len(v) == 1 {
		return v[0]
	}
	return v
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only our own plain structs are marshalled
	}
	return b
}
