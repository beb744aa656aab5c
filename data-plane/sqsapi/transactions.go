package sqsapi

import (
	"context"
	"strings"

	"github.com/sluice-mq/sluice/data-plane/engine"
)

// Sluice's transactional-message actions (docs/transactional-messages.md):
// SendHalfMessage stores a message that stays invisible until
// EndTransaction commits it, and is gone if it rolls back. They are
// reached like any SQS action — AmazonSQS.SendHalfMessage in the JSON
// protocol, Action=SendHalfMessage in the Query one — signed, admitted and
// metered the same way; SQS clients never send them.

// SendHalfMessage's input is SendMessage's (sendOne), so the JSON decoder
// keeps its texts as sent the same way (keepSentText).

type sendHalfMessageOutput struct {
	sendMessageOutput
	TransactionId string
}

type endTransactionInput struct {
	QueueUrl      string
	TransactionId string
	Decision      string // COMMIT or ROLLBACK
}

func sendHalfMessage(ctx context.Context, c *call) (any, error) {
	in, res, err := sendOne(ctx, c, c.h.engine.SendHalfMessage)
	if err != nil {
		return nil, err
	}
	return sendHalfMessageOutput{sendMessageOutput: sendOutput(res.SendResult, in.messageToSend), TransactionId: res.TransactionID}, nil
}

func endTransaction(ctx context.Context, c *call) (any, error) {
	in, ref, err := decodeQueue(c, func(in *endTransactionInput) string { return in.QueueUrl })
	if err != nil {
		return nil, err
	}
	if in.TransactionId == "" {
		return nil, errMissingParameter("TransactionId")
	}
	var d engine.Decision
	switch strings.ToUpper(in.Decision) {
	case "COMMIT":
		d = engine.Commit
	case "ROLLBACK":
		d = engine.Rollback
	case "":
		return nil, errMissingParameter("Decision")
	default:
		return nil, errInvalidParameter("Decision", in.Decision, "Decision must be COMMIT or ROLLBACK.")
	}
	return nil, c.h.engine.EndTransaction(ctx, ref, in.TransactionId, d)
}
