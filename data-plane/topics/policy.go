package topics

import (
	"encoding/json"
	"path"
	"strings"
)

// queueDenies reports whether a queue's access policy denies the topic
// sending to it: a statement with Effect Deny for sqs:SendMessage (or a
// wildcard covering it) whose principal covers SNS ("*", {"AWS":"*"} or
// {"Service":"sns.amazonaws.com"}) and whose conditions, if any, are
// aws:SourceArn / aws:SourceAccount conditions the topic meets. SNS honours
// a queue policy the same way; unlike SNS, a queue of the topic's own
// account needs no Allow statement (tenants are isolated, so same-account
// delivery is the only kind there is). Statements with other condition
// keys are not evaluated and do not deny.
func queueDenies(policy string, topic Ref) bool {
	if policy == "" {
		return false
	}
	var doc struct {
		Statement json.RawMessage `json:"Statement"`
	}
	if json.Unmarshal([]byte(policy), &doc) != nil {
		return false
	}
	var stmts []policyStatement
	if json.Unmarshal(doc.Statement, &stmts) != nil {
		var one policyStatement
		if json.Unmarshal(doc.Statement, &one) != nil {
			return false
		}
		stmts = []policyStatement{one}
	}
	for _, s := range stmts {
		if strings.EqualFold(s.Effect, "Deny") && coversSend(s.Action) && coversSNS(s.Principal) && conditionsMet(s.Condition, topic) {
			return true
		}
	}
	return false
}

type policyStatement struct {
	Effect    string                                `json:"Effect"`
	Principal json.RawMessage                       `json:"Principal"`
	Action    json.RawMessage                       `json:"Action"`
	Condition map[string]map[string]json.RawMessage `json:"Condition"`
}

// strings reads a JSON string or array of strings.
func stringsOf(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	_ = json.Unmarshal(raw, &many)
	return many
}

func coversSend(action json.RawMessage) bool {
	for _, a := range stringsOf(action) {
		a = strings.ToLower(a)
		if a == "*" || a == "sqs:*" || a == "sqs:sendmessage" || (strings.HasSuffix(a, "*") && strings.HasPrefix("sqs:sendmessage", strings.TrimSuffix(a, "*"))) {
			return true
		}
	}
	return false
}

func coversSNS(principal json.RawMessage) bool {
	if ps := stringsOf(principal); len(ps) == 1 && ps[0] == "*" {
		return true
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(principal, &m) != nil {
		return false
	}
	for _, p := range stringsOf(m["AWS"]) {
		if p == "*" {
			return true
		}
	}
	for _, p := range stringsOf(m["Service"]) {
		if p == "sns.amazonaws.com" || p == "*" {
			return true
		}
	}
	return false
}

func conditionsMet(cond map[string]map[string]json.RawMessage, topic Ref) bool {
	for op, kv := range cond {
		for key, raw := range kv {
			var have string
			switch strings.ToLower(key) {
			case "aws:sourcearn":
				have = topic.ARN()
			case "aws:sourceaccount":
				have = topic.Account
			default:
				return false
			}
			vals := stringsOf(raw)
			match := false
			for _, v := range vals {
				switch op {
				case "ArnEquals", "StringEquals":
					match = match || v == have
				case "ArnLike", "StringLike":
					ok, _ := path.Match(strings.ReplaceAll(v, "/", "\x00"), strings.ReplaceAll(have, "/", "\x00"))
					match = match || ok
				case "ArnNotEquals", "StringNotEquals":
					match = match || v != have
				default:
					return false
				}
			}
			if !match {
				return false
			}
		}
	}
	return true
}
