package sqsapi

import (
	"context"
	"slices"
	"strings"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/msgattr"
	"github.com/sluice-mq/sluice/data-plane/queues"
)

// SQS batch limits.
const (
	maxBatchEntries = 10
	maxBatchBytes   = 1 << 20
)

// maxBatchIDLen is the longest batch entry id SQS takes.
const maxBatchIDLen = 80

// validBatchID reports whether id is 1–80 ASCII letters, digits, hyphens
// and underscores; by hand, as every batch call checks each entry's.
func validBatchID(id string) bool {
	if len(id) == 0 || len(id) > maxBatchIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// checkBatch applies SQS's whole-request batch rules: 1–10 entries, valid
// and distinct ids.
func checkBatch(entryName string, ids []string) error {
	if len(ids) == 0 {
		return NewError("AWS.SimpleQueueService.EmptyBatchRequest", "There should be at least one %s in the request.", entryName)
	}
	if len(ids) > maxBatchEntries {
		return errTooManyEntries(len(ids))
	}
	for i, id := range ids {
		if !validBatchID(id) {
			return NewError("AWS.SimpleQueueService.InvalidBatchEntryId", "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
		}
		if slices.Contains(ids[:i], id) { // at most 10 entries
			return NewError("AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "Id %s repeated.", id)
		}
	}
	return nil
}

// failedEntry turns one entry's error into a Failed element; ok is false
// when the error is ours, not the sender's.
func failedEntry(id string, err error) (batchResultErrorEntry, bool) {
	we, ok := toWire(err)
	return batchResultErrorEntry{Id: id, Code: we.Code, Message: we.Message, SenderFault: !we.Server}, ok
}

// toAttributes converts wire attribute values to the engine's.
func toAttributes(param string, in map[string]attributeValue) (msgattr.Attributes, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make(msgattr.Attributes, len(in))
	for name, v := range in {
		if len(v.StringListValues) > 0 || len(v.BinaryListValues) > 0 {
			return nil, NewError("InvalidParameterValue", "%s %s: StringListValues and BinaryListValues are not supported.", param, name)
		}
		out[name] = msgattr.Value{DataType: v.DataType, StringValue: deref(v.StringValue), BinaryValue: v.BinaryValue}
	}
	return out, nil
}

func fromAttributes(in msgattr.Attributes) map[string]attributeValue {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]attributeValue, len(in))
	for name, v := range in {
		av := attributeValue{DataType: v.DataType}
		if v.BinaryValue != nil {
			av.BinaryValue = v.BinaryValue
		} else {
			s := v.StringValue
			av.StringValue = &s
		}
		out[name] = av
	}
	return out
}

// sendInput converts one message to send. The engine checks the FIFO
// parameters against the queue's type.
func (c *call) sendInput(m messageToSend) (engine.SendInput, error) {
	if m.MessageBody == nil {
		return engine.SendInput{}, errMissingParameter("MessageBody")
	}
	a, err := toAttributes("MessageAttribute", m.MessageAttributes)
	if err != nil {
		return engine.SendInput{}, err
	}
	s, err := toAttributes("MessageSystemAttribute", m.MessageSystemAttributes)
	if err != nil {
		return engine.SendInput{}, err
	}
	s = c.httpTraceHeader(s)
	if err := c.admitted.CheckMessage(len(*m.MessageBody) + msgattr.Size(a)); err != nil {
		return engine.SendInput{}, err
	}
	return engine.SendInput{
		Body: *m.MessageBody, DelaySeconds: m.DelaySeconds, Attributes: a, SystemAttributes: s, SenderID: c.principal.AccountID,
		MessageGroupID: m.MessageGroupId, DeduplicationID: m.MessageDeduplicationId,
	}, nil
}

// httpTraceHeader gives a message sent without an AWSTraceHeader system
// attribute the request's X-Amzn-Trace-Id header, as SQS does for
// SendMessage and every entry of SendMessageBatch; the message's own
// attribute wins [X-Ray developer guide, "Amazon SQS and AWS X-Ray"]. A
// header the attribute could not hold (a character SQS refuses) is
// ignored rather than failing the send.
func (c *call) httpTraceHeader(s msgattr.Attributes) msgattr.Attributes {
	if _, ok := s[msgattr.SystemAttributeTraceHeader]; ok {
		return s
	}
	h := strings.TrimSpace(c.r.Header.Get("X-Amzn-Trace-Id"))
	if h == "" {
		return s
	}
	v := msgattr.Attributes{msgattr.SystemAttributeTraceHeader: {DataType: msgattr.TypeString, StringValue: h}}
	if msgattr.ValidateSystem(v) != nil {
		return s
	}
	if s == nil {
		return v
	}
	s[msgattr.SystemAttributeTraceHeader] = v[msgattr.SystemAttributeTraceHeader]
	return s
}

// sendOutput answers a send. MD5OfMessageSystemAttributes is the digest of
// the system attributes the caller sent: none when it sent none (an
// AWSTraceHeader copied from X-Amzn-Trace-Id is not the caller's to check).
func sendOutput(r engine.SendResult, m messageToSend) sendMessageOutput {
	if len(m.MessageSystemAttributes) == 0 {
		r.MD5OfMessageSystemAttributes = ""
	}
	return sendMessageOutput{
		MessageId:                    r.MessageID,
		MD5OfMessageBody:             r.MD5OfMessageBody,
		MD5OfMessageAttributes:       r.MD5OfMessageAttributes,
		MD5OfMessageSystemAttributes: r.MD5OfMessageSystemAttributes,
		SequenceNumber:               r.SequenceNumber,
	}
}

func sendMessage(ctx context.Context, c *call) (any, error) {
	in, res, err := sendOne(ctx, c, c.h.engine.SendMessage)
	if err != nil {
		return nil, err
	}
	return sendOutput(res, in.messageToSend), nil
}

// sendOne decodes a SendMessage input (SendHalfMessage's too), checks it
// and the stored-bytes quota, and stores the message with store.
func sendOne[R any](ctx context.Context, c *call, store func(context.Context, queues.Ref, engine.SendInput) (R, error)) (*sendMessageInput, R, error) {
	var none R
	in, ref, err := decodeQueue(c, func(in *sendMessageInput) string { return in.QueueUrl })
	if err != nil {
		return nil, none, err
	}
	send, err := c.sendInput(in.messageToSend)
	if err != nil {
		return nil, none, err
	}
	size := int64(len(send.Body) + msgattr.Size(send.Attributes))
	room, err := c.admitted.ReserveStored(ctx, size)
	if err != nil {
		return nil, none, err
	}
	res, err := store(ctx, ref, send)
	if err != nil {
		room.Settle(0)
		return nil, none, err
	}
	room.Settle(size)
	c.sentSizes = append(c.sentSizes, int(size))
	return in, res, nil
}

func sendMessageBatch(ctx context.Context, c *call) (any, error) {
	in, ref, err := decodeQueue(c, func(in *sendMessageBatchInput) string { return in.QueueUrl })
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(in.Entries))
	for i, e := range in.Entries {
		ids[i] = e.Id
	}
	if err := checkBatch("SendMessageBatchRequestEntry", ids); err != nil {
		return nil, err
	}
	n := len(in.Entries)
	out := sendMessageBatchOutput{Successful: make([]sendMessageBatchResultEntry, 0, n), Failed: []batchResultErrorEntry{}}
	var (
		sends    = make([]engine.SendInput, 0, n)
		sendIDs  = make([]string, 0, n)
		sendMsgs = make([]messageToSend, 0, n)
		total    int
	)
	c.sentSizes = slices.Grow(c.sentSizes, n)
	for _, e := range in.Entries {
		if e.MessageBody == nil || *e.MessageBody == "" {
			// An entry without a body fails alone with EmptyValue, where a
			// single send answers MissingParameter: recorded from real SQS
			// by the Ballerina SQS connector's integration tests
			// (send_message_batch_test.bal, testSendMessageBatchPartialFailure).
			// The text is ours.
			out.Failed = append(out.Failed, batchResultErrorEntry{Id: e.Id, Code: "EmptyValue",
				Message: "The request must contain the parameter MessageBody.", SenderFault: true})
			continue
		}
		send, err := c.sendInput(e.messageToSend)
		if err != nil {
			f, _ := failedEntry(e.Id, err)
			out.Failed = append(out.Failed, f)
			continue
		}
		total += len(send.Body) + msgattr.Size(send.Attributes)
		sends = append(sends, send)
		sendIDs = append(sendIDs, e.Id)
		sendMsgs = append(sendMsgs, e.messageToSend)
	}
	if total > maxBatchBytes {
		return nil, NewError("AWS.SimpleQueueService.BatchRequestTooLong", "Batch requests cannot be longer than %d bytes. You have sent %d bytes.", maxBatchBytes, total)
	}
	room, err := c.admitted.ReserveStored(ctx, int64(total))
	if err != nil {
		return nil, err
	}
	var stored int64
	defer func() { room.Settle(stored) }()
	if len(sends) > 0 {
		results, err := c.h.engine.SendMessageBatch(ctx, ref, sends)
		if err != nil {
			return nil, err
		}
		for i, r := range results {
			if r.Err == nil {
				size := len(sends[i].Body) + msgattr.Size(sends[i].Attributes)
				stored += int64(size)
				c.sentSizes = append(c.sentSizes, size)
			}
			if r.Err != nil {
				f, ok := failedEntry(sendIDs[i], r.Err)
				if !ok {
					return nil, r.Err
				}
				out.Failed = append(out.Failed, f)
				continue
			}
			out.Successful = append(out.Successful, sendMessageBatchResultEntry{Id: sendIDs[i], sendMessageOutput: sendOutput(r.Result, sendMsgs[i])})
		}
	}
	return out, nil
}

func receiveMessage(ctx context.Context, c *call) (any, error) {
	in, ref, err := decodeQueue(c, func(in *receiveMessageInput) string { return in.QueueUrl })
	if err != nil {
		return nil, err
	}
	if in.MaxNumberOfMessages != nil && *in.MaxNumberOfMessages == 0 {
		return nil, errInvalidParameter("MaxNumberOfMessages", "0", "Must be between 1 and 10, if provided.")
	}
	msgs, err := c.h.engine.ReceiveMessage(ctx, ref, engine.ReceiveInput{
		MaxNumberOfMessages:   deref(in.MaxNumberOfMessages),
		VisibilityTimeout:     in.VisibilityTimeout,
		WaitTimeSeconds:       in.WaitTimeSeconds,
		AttributeNames:        append(in.AttributeNames, in.MessageSystemAttributeNames...),
		MessageAttributeNames: in.MessageAttributeNames,

		ReceiveRequestAttemptID: in.ReceiveRequestAttemptId,
		Admit:                   c.admitted.ClaimAdmitter(),
		OnMove:                  func(m []engine.MessageMove) { c.moved = append(c.moved, m...) },
	})
	if err != nil {
		return nil, err
	}
	out := receiveMessageOutput{Messages: make([]message, len(msgs))}
	c.traceHeaders = slices.Grow(c.traceHeaders, len(msgs))
	for i, m := range msgs {
		out.Messages[i] = message{
			MessageId:              m.MessageID,
			ReceiptHandle:          m.ReceiptHandle,
			MD5OfBody:              m.MD5OfBody,
			Body:                   m.Body,
			Attributes:             m.Attributes,
			MD5OfMessageAttributes: m.MD5OfMessageAttributes,
			MessageAttributes:      fromAttributes(m.MessageAttributes),
		}
		c.admitted.Delivered(int64(len(m.Body) + msgattr.Size(m.MessageAttributes)))
		c.traceHeaders = append(c.traceHeaders, m.TraceHeader)
	}
	return out, nil
}

func deleteMessage(ctx context.Context, c *call) (any, error) {
	in, ref, err := decodeQueue(c, func(in *deleteMessageInput) string { return in.QueueUrl })
	if err != nil {
		return nil, err
	}
	if in.ReceiptHandle == "" {
		return nil, errMissingParameter("ReceiptHandle")
	}
	return nil, c.h.engine.DeleteMessage(ctx, ref, in.ReceiptHandle)
}

func deleteMessageBatch(ctx context.Context, c *call) (any, error) {
	in, ref, err := decodeQueue(c, func(in *deleteMessageBatchInput) string { return in.QueueUrl })
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(in.Entries))
	handles := make([]string, len(in.Entries))
	for i, e := range in.Entries {
		ids[i], handles[i] = e.Id, e.ReceiptHandle
	}
	if err := checkBatch("DeleteMessageBatchRequestEntry", ids); err != nil {
		return nil, err
	}
	results, err := c.h.engine.DeleteMessageBatch(ctx, ref, handles)
	if err != nil {
		return nil, err
	}
	out := deleteMessageBatchOutput{Successful: make([]idEntry, 0, len(ids)), Failed: []batchResultErrorEntry{}}
	return out, collectAcks(ids, results, &out.Successful, &out.Failed)
}

func changeMessageVisibility(ctx context.Context, c *call) (any, error) {
	in, ref, err := decodeQueue(c, func(in *changeVisibilityInput) string { return in.QueueUrl })
	if err != nil {
		return nil, err
	}
	switch {
	case in.ReceiptHandle == "":
		return nil, errMissingParameter("ReceiptHandle")
	case in.VisibilityTimeout == nil:
		return nil, errMissingParameter("VisibilityTimeout")
	}
	return nil, c.h.engine.ChangeMessageVisibility(ctx, ref, in.ReceiptHandle, *in.VisibilityTimeout)
}

func changeMessageVisibilityBatch(ctx context.Context, c *call) (any, error) {
	in, ref, err := decodeQueue(c, func(in *changeVisibilityBatchInput) string { return in.QueueUrl })
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(in.Entries))
	for i, e := range in.Entries {
		ids[i] = e.Id
	}
	if err := checkBatch("ChangeMessageVisibilityBatchRequestEntry", ids); err != nil {
		return nil, err
	}
	out := changeVisibilityBatchOutput{Successful: []idEntry{}, Failed: []batchResultErrorEntry{}}
	var (
		changes   []engine.VisibilityChange
		changeIDs []string
	)
	for _, e := range in.Entries {
		if e.VisibilityTimeout == nil {
			f, _ := failedEntry(e.Id, errMissingParameter("VisibilityTimeout"))
			out.Failed = append(out.Failed, f)
			continue
		}
		changes = append(changes, engine.VisibilityChange{ReceiptHandle: e.ReceiptHandle, VisibilityTimeout: *e.VisibilityTimeout})
		changeIDs = append(changeIDs, e.Id)
	}
	if len(changes) == 0 {
		return out, nil
	}
	results, err := c.h.engine.ChangeMessageVisibilityBatch(ctx, ref, changes)
	if err != nil {
		return nil, err
	}
	return out, collectAcks(changeIDs, results, &out.Successful, &out.Failed)
}

// collectAcks sorts per-entry outcomes of delete and visibility batches.
func collectAcks(ids []string, results []engine.BatchResult[struct{}], ok *[]idEntry, failed *[]batchResultErrorEntry) error {
	for i, r := range results {
		if r.Err == nil {
			*ok = append(*ok, idEntry{Id: ids[i]})
			continue
		}
		f, senders := failedEntry(ids[i], r.Err)
		if !senders {
			return r.Err
		}
		*failed = append(*failed, f)
	}
	return nil
}
