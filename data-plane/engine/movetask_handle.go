package engine

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"

	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
)

// A task handle is what SQS hands out: base64 of {"taskId", "sourceArn"}.
// It needs no MAC: Cancel checks the queues.ARN's account and region against the
// caller's, so a forged handle can only name the caller's own tasks.
type taskHandle struct {
	TaskID    string `json:"taskId"`
	SourceArn string `json:"sourceArn"`
}

func encodeTaskHandle(task moveTaskRef) string {
	b, _ := json.Marshal(taskHandle{TaskID: formatMessageID(task.id), SourceArn: task.queue.ARN()})
	return base64.StdEncoding.EncodeToString(b)
}

// decodeTaskHandle answers a handle that is not one of ours as SQS does:
// InvalidParameterValue.
func decodeTaskHandle(s string) (moveTaskRef, error) {
	invalid := errorf(sqserr.CodeInvalidParameterValue, "Value for parameter TaskHandle is invalid.")
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return moveTaskRef{}, invalid
	}
	var h taskHandle
	if err := json.Unmarshal(raw, &h); err != nil {
		return moveTaskRef{}, invalid
	}
	arn, err := queues.ParseARN(h.SourceArn)
	if err != nil {
		return moveTaskRef{}, invalid
	}
	id, ok := parseUUID(h.TaskID)
	if !ok {
		return moveTaskRef{}, invalid
	}
	return moveTaskRef{queue: queues.Ref{Account: arn.Account, Region: arn.Region, Name: arn.Name}, id: id}, nil
}

// parseUUID reads an id written by formatMessageID.
func parseUUID(s string) (msgID, bool) {
	var id msgID
	raw, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
	if err != nil || len(raw) != msgIDLen {
		return id, false
	}
	copy(id[:], raw)
	return id, formatMessageID(id) == strings.ToLower(s)
}
