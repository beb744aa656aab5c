package nullsqs

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Request and reply shapes carry only the members the load generator uses;
// encoding/json skips the rest of each request.

type queueNameRequest struct {
	QueueName string
}

type queueURLRequest struct {
	QueueUrl string
}

type queueURLReply struct {
	QueueUrl string
}

func (s *Server) queueURL(name string) string {
	return s.Endpoint + "/" + AccountID + "/" + name
}

func (s *Server) createQueue(body []byte) (any, *apiError) {
	var req queueNameRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if req.QueueName == "" {
		return nil, badRequest("MissingParameter", "QueueName is required")
	}
	return queueURLReply{QueueUrl: s.queueURL(req.QueueName)}, nil
}

func (s *Server) getQueueURL(body []byte) (any, *apiError) {
	return s.createQueue(body)
}

// requireQueue decodes a request naming a queue by URL.
func requireQueue(body []byte, v any, url *string) *apiError {
	if err := decode(body, v); err != nil {
		return err
	}
	if *url == "" {
		return badRequest("MissingParameter", "QueueUrl is required")
	}
	return nil
}

type sendMessageRequest struct {
	QueueUrl    string
	MessageBody string
}

type sendMessageReply struct {
	MessageId        string
	MD5OfMessageBody string
}

func (s *Server) sendMessage(body []byte) (any, *apiError) {
	var req sendMessageRequest
	if err := requireQueue(body, &req, &req.QueueUrl); err != nil {
		return nil, err
	}
	if req.MessageBody == "" {
		return nil, badRequest("MissingParameter", "MessageBody is required")
	}
	n := s.addSent(1)
	return sendMessageReply{MessageId: messageID('s', n), MD5OfMessageBody: md5Hex(req.MessageBody)}, nil
}

type batchEntry struct {
	Id            string
	MessageBody   string
	ReceiptHandle string
}

type batchRequest struct {
	QueueUrl string
	Entries  []batchEntry
}

type batchResultEntry struct {
	Id               string
	MessageId        string `json:",omitempty"`
	MD5OfMessageBody string `json:",omitempty"`
}

type batchReply struct {
	Successful []batchResultEntry
	Failed     []struct{}
}

// decodeBatch checks what SQS checks of every batch: 1–10 entries, each
// with an id.
func decodeBatch(body []byte) (batchRequest, *apiError) {
	var req batchRequest
	if err := requireQueue(body, &req, &req.QueueUrl); err != nil {
		return req, err
	}
	switch {
	case len(req.Entries) == 0:
		return req, badRequest("EmptyBatchRequest", "there should be at least one entry in the request")
	case len(req.Entries) > 10:
		return req, badRequest("TooManyEntriesInBatchRequest", "maximum number of entries per request are 10")
	}
	for _, e := range req.Entries {
		if e.Id == "" {
			return req, badRequest("InvalidBatchEntryId", "every entry needs an Id")
		}
	}
	return req, nil
}

func (s *Server) sendMessageBatch(body []byte) (any, *apiError) {
	req, err := decodeBatch(body)
	if err != nil {
		return nil, err
	}
	for _, e := range req.Entries {
		if e.MessageBody == "" {
			return nil, badRequest("MissingParameter", "entry %s has no MessageBody", e.Id)
		}
	}
	reply := batchReply{Successful: make([]batchResultEntry, len(req.Entries)), Failed: []struct{}{}}
	n := s.addSent(len(req.Entries))
	for i, e := range req.Entries {
		reply.Successful[i] = batchResultEntry{
			Id:               e.Id,
			MessageId:        messageID('s', n+int64(i)),
			MD5OfMessageBody: md5Hex(e.MessageBody),
		}
	}
	return reply, nil
}

type receiveRequest struct {
	QueueUrl                    string
	MaxNumberOfMessages         int
	WaitTimeSeconds             int
	MessageSystemAttributeNames []string
}

type receivedMessage struct {
	MessageId     string
	ReceiptHandle string
	MD5OfBody     string
	Body          string
	Attributes    map[string]string `json:",omitempty"`
}

type receiveReply struct {
	Messages []receivedMessage `json:",omitempty"`
}

func (s *Server) receiveMessage(r *http.Request, body []byte) (any, *apiError) {
	var req receiveRequest
	if err := requireQueue(body, &req, &req.QueueUrl); err != nil {
		return nil, err
	}
	if req.MaxNumberOfMessages == 0 {
		req.MaxNumberOfMessages = 1
	}
	if req.MaxNumberOfMessages < 1 || req.MaxNumberOfMessages > 10 {
		return nil, badRequest("InvalidParameterValue", "MaxNumberOfMessages must be 1 to 10")
	}
	if req.WaitTimeSeconds < 0 || req.WaitTimeSeconds > 20 {
		return nil, badRequest("InvalidParameterValue", "WaitTimeSeconds must be 0 to 20")
	}
	first, n := s.claimWaiting(r.Context(), req.MaxNumberOfMessages, time.Duration(req.WaitTimeSeconds)*time.Second)
	reply := receiveReply{Messages: make([]receivedMessage, n)}
	for i := range n {
		ord := first + int64(i)
		body, sum := s.message(ord)
		reply.Messages[i] = receivedMessage{
			MessageId:     messageID('r', ord),
			ReceiptHandle: receiptHandle(ord),
			MD5OfBody:     sum,
			Body:          body,
		}
		// A FIFO consumer asks for sequence numbers: messages go out in
		// one global order, so the order of receipt serves.
		if slices.Contains(req.MessageSystemAttributeNames, "SequenceNumber") {
			reply.Messages[i].Attributes = map[string]string{"SequenceNumber": fmt.Sprintf("%020d", ord+1)}
		}
	}
	s.delivered.Add(int64(n))
	return reply, nil
}

type deleteMessageRequest struct {
	QueueUrl      string
	ReceiptHandle string
}

func (s *Server) deleteMessage(body []byte) (any, *apiError) {
	var req deleteMessageRequest
	if err := requireQueue(body, &req, &req.QueueUrl); err != nil {
		return nil, err
	}
	if req.ReceiptHandle == "" {
		return nil, badRequest("MissingParameter", "ReceiptHandle is required")
	}
	return struct{}{}, nil
}

func (s *Server) deleteMessageBatch(body []byte) (any, *apiError) {
	req, err := decodeBatch(body)
	if err != nil {
		return nil, err
	}
	reply := batchReply{Successful: make([]batchResultEntry, len(req.Entries)), Failed: []struct{}{}}
	for i, e := range req.Entries {
		reply.Successful[i] = batchResultEntry{Id: e.Id}
	}
	return reply, nil
}

// purgeQueue drops every message sent so far by taking them all.
func (s *Server) purgeQueue(body []byte) (any, *apiError) {
	var req queueURLRequest
	if err := requireQueue(body, &req, &req.QueueUrl); err != nil {
		return nil, err
	}
	for {
		if _, n := s.claim(1 << 30); n == 0 {
			return struct{}{}, nil
		}
	}
}

func (s *Server) deleteQueue(body []byte) (any, *apiError) {
	var req queueURLRequest
	if err := requireQueue(body, &req, &req.QueueUrl); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

type attributesReply struct {
	Attributes map[string]string
}

func (s *Server) getQueueAttributes(body []byte) (any, *apiError) {
	var req queueURLRequest
	if err := requireQueue(body, &req, &req.QueueUrl); err != nil {
		return nil, err
	}
	waiting := max(s.sent.Load()-s.taken.Load(), 0)
	return attributesReply{Attributes: map[string]string{
		"ApproximateNumberOfMessages":           strconv.FormatInt(waiting, 10),
		"ApproximateNumberOfMessagesNotVisible": "0",
		"ApproximateNumberOfMessagesDelayed":    "0",
		"VisibilityTimeout":                     "30",
	}}, nil
}
