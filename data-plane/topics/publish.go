package topics

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"
	"unicode/utf8"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/msgattr"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/data-plane/topics/filter"
	"github.com/sluice-mq/sluice/internal/kv"
)

// MaxMessageBytes is SNS's limit on a published message, body plus
// attributes (256 KiB).
const MaxMessageBytes = 256 << 10

// Message is one message to publish.
type Message struct {
	Body       string
	Subject    string
	Attributes msgattr.Attributes
	// GroupID and DeduplicationID are FIFO topics' (MessageGroupId and
	// MessageDeduplicationId); "" is not given.
	GroupID, DeduplicationID string

	seq string // a FIFO topic's sequence number, for the envelope
}

// PublishResult is what one published message became.
type PublishResult struct {
	// MessageID is the message's id; on a FIFO topic, a duplicate's is
	// the first message's, as is its SequenceNumber.
	MessageID string
	// SequenceNumber is a FIFO topic's: 20 digits, growing in a group.
	SequenceNumber string
	// Delivered counts the queues that now hold the message.
	Delivered int
}

// BatchEntry is one PublishBatch entry's outcome: Err set when the entry
// was refused on its own (nothing of it was delivered).
type BatchEntry struct {
	Result PublishResult
	Err    error
}

// Validate checks a message as SNS does before publishing it.
func (m Message) Validate() error {
	if m.Body == "" {
		return invalidParameter("Empty message")
	}
	if !utf8.ValidString(m.Body) {
		return invalidParameter("Message Reason: not valid UTF-8")
	}
	if utf8.RuneCountInString(m.Subject) > 100 || containsControl(m.Subject) {
		return invalidParameter("Subject")
	}
	if m.Subject != "" && isBlank(m.Subject) {
		return invalidParameter("Subject")
	}
	if err := msgattr.Validate(m.Attributes); err != nil {
		var me *msgattr.Error
		if errors.As(err, &me) {
			return sqserr.Errorf(CodeInvalidParameterValue, "%s", me.Message)
		}
		return err
	}
	if len(m.Body)+msgattr.Size(m.Attributes) > MaxMessageBytes {
		return invalidParameter("Message too long")
	}
	_, _, err := messageKeys(m.Attributes)
	return err
}

func containsControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}

func isBlank(s string) bool { return len(bytes.TrimSpace([]byte(s))) == 0 }

// Publish publishes msg to a topic: every sqs subscription whose filter
// policy matches gets it, all in one store transaction with the sends,
// so the call returns once every matching queue holds the message, or
// fails with none holding it. Subscriptions of queues that no longer
// exist are skipped, as SNS drops deliveries it cannot make.
func (c *Catalog) Publish(ctx context.Context, eng *engine.Engine, topic Ref, msg Message) (PublishResult, error) {
	res, err := c.PublishBatch(ctx, eng, topic, []Message{msg})
	if err != nil {
		return PublishResult{}, err
	}
	return res[0].Result, res[0].Err
}

// PublishBatch publishes several messages in one transaction. An invalid
// entry fails alone; a failure to deliver fails the whole call.
func (c *Catalog) PublishBatch(ctx context.Context, eng *engine.Engine, topic Ref, msgs []Message) ([]BatchEntry, error) {
	out := make([]BatchEntry, len(msgs))
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = newUUID()
		out[i].Result.MessageID = ids[i]
		out[i].Err = m.Validate()
	}
	var owners []int // entry index of each delivery
	results, err := eng.Fanout(ctx, func(ctx context.Context, tx kv.Txn) ([]engine.Delivery, error) {
		owners = owners[:0]
		for i := range out {
			out[i].Result = PublishResult{MessageID: ids[i]} // plan may run again
		}
		t, err := readTopic(ctx, tx, topic)
		if err != nil {
			return nil, err
		}
		subs, err := readSubs(ctx, tx, topic)
		if err != nil {
			return nil, err
		}
		filters := make([]*subFilter, len(subs))
		for i, s := range subs {
			if filters[i], err = compileSubFilter(s.Attributes); err != nil {
				return nil, err // validated when stored
			}
		}
		now := c.clock()
		var fifo *fifoTopicTxn
		if topic.FIFO() {
			fifo = &fifoTopicTxn{tx: tx, topic: topic, now: now.UnixMilli()}
			if err := fifo.sweep(ctx, 4+2*len(msgs)); err != nil {
				return nil, err
			}
		}
		denied := map[queues.Ref]bool{}
		policyDenied := func(q queues.Ref) (bool, error) {
			if d, ok := denied[q]; ok {
				return d, nil
			}
			rec, err := eng.Catalog().Read(ctx, tx, q)
			if err != nil && !errors.Is(err, sqserr.ErrQueueDoesNotExist) {
				return false, err
			}
			denied[q] = rec != nil && queueDenies(rec.Attributes.Policy, topic)
			return denied[q], nil
		}
		var ds []engine.Delivery
		for i, m := range msgs {
			if out[i].Err != nil {
				continue
			}
			group, dedup, err := fifoIDs(t, m)
			if err != nil {
				out[i].Err = err
				continue
			}
			fm, err := newFilteredMessage(m)
			if err != nil {
				out[i].Err = err
				continue
			}
			if fifo != nil {
				id, seq, dup, err := fifo.admit(ctx, ids[i], group, dedup)
				if err != nil {
					return nil, err
				}
				out[i].Result.MessageID, out[i].Result.SequenceNumber = id, formatSeq(seq)
				if dup {
					continue // the first message's deliveries stand for it
				}
				m.seq = out[i].Result.SequenceNumber
			}
			for j, s := range subs {
				if !filters[j].match(fm) {
					continue
				}
				if IsPush(s.Protocol) {
					if !s.Pending() { // SNS delivers nothing to a pending subscription
						ds = append(ds, pushDelivery(topic, s, ids[i], m, now))
						owners = append(owners, i)
					}
					continue
				}
				if s.Protocol != "sqs" {
					continue
				}
				q, err := parseQueueEndpoint(s.Endpoint)
				if err != nil || q.Account != topic.Account {
					continue // never another tenant's queue
				}
				if denied, err := policyDenied(q); err != nil {
					return nil, err
				} else if denied {
					continue // as SNS, a denied delivery is dropped
				}
				in := engine.SendInput{SenderID: topic.Account}
				if topic.FIFO() {
					in.MessageGroupID, in.DeduplicationID = &group, &dedup
				}
				if s.RawDelivery() {
					in.Body, in.Attributes = m.Body, m.Attributes
				} else {
					in.Body = Envelope(topic, s.Ref, ids[i], m, now)
				}
				ds = append(ds, engine.Delivery{Queue: q, Message: in})
				owners = append(owners, i)
			}
		}
		return ds, nil
	})
	if err != nil {
		var se *sqserr.Error
		if errors.As(err, &se) && !isSNSCode(se.Code) {
			// A queue refused the message (its MaximumMessageSize, say).
			return nil, invalidParameter("Message Reason: a subscribed queue refused it: %s", se.Message)
		}
		return nil, err
	}
	for k, r := range results {
		if !r.Skipped {
			out[owners[k]].Result.Delivered++
		}
	}
	return out, nil
}

// fifoIDs checks a message's group and deduplication ids against the
// topic and returns the ones its deliveries carry: on a FIFO topic the
// group id is required and the deduplication id is the given one or,
// with ContentBasedDeduplication, the SHA-256 of the body. Each FIFO
// queue then deduplicates on it for 5 minutes, so a duplicate publish
// delivers nothing new.
func fifoIDs(t *Topic, m Message) (group, dedup string, err error) {
	if !t.Ref.FIFO() {
		if m.GroupID != "" || m.DeduplicationID != "" {
			return "", "", invalidParameter("The MessageGroupId and MessageDeduplicationId parameters are only valid for FIFO topics")
		}
		return "", "", nil
	}
	if m.GroupID == "" {
		return "", "", invalidParameter("The MessageGroupId parameter is required for FIFO topics")
	}
	if err := checkFIFOID("MessageGroupId", m.GroupID); err != nil {
		return "", "", err
	}
	if m.DeduplicationID != "" {
		if err := checkFIFOID("MessageDeduplicationId", m.DeduplicationID); err != nil {
			return "", "", err
		}
	}
	dedup = m.DeduplicationID
	if dedup == "" {
		if t.Attributes["ContentBasedDeduplication"] != "true" {
			return "", "", invalidParameter("The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
		}
		sum := sha256.Sum256([]byte(m.Body))
		dedup = hex.EncodeToString(sum[:])
	}
	return m.GroupID, dedup, nil
}

func isSNSCode(code string) bool {
	switch code {
	case CodeNotFound, CodeInvalidParameter, CodeInvalidParameterValue, CodeAuthorizationError:
		return true
	}
	return false
}

// filterAttributes gives a filter the String, String.Array and Number
// attributes of a message.
func filterAttributes(attrs msgattr.Attributes) map[string]filter.Attribute {
	out := make(map[string]filter.Attribute, len(attrs))
	for k, v := range attrs {
		out[k] = filter.Attribute{DataType: v.DataType, StringValue: v.StringValue}
	}
	return out
}

// envelope is SNS's JSON notification, as delivered to a subscription
// without raw message delivery. Sluice does not sign notifications:
// Signature and SigningCertURL are left out.
type envelope struct {
	Type              string                  `json:"Type"`
	MessageID         string                  `json:"MessageId"`
	TopicArn          string                  `json:"TopicArn"`
	Subject           string                  `json:"Subject,omitempty"`
	Message           string                  `json:"Message"`
	Timestamp         string                  `json:"Timestamp"`
	SignatureVersion  string                  `json:"SignatureVersion"`
	SequenceNumber    string                  `json:"SequenceNumber,omitempty"`
	UnsubscribeURL    string                  `json:"UnsubscribeURL,omitempty"`
	MessageAttributes map[string]envelopeAttr `json:"MessageAttributes,omitempty"`
}

type envelopeAttr struct {
	Type  string `json:"Type"`
	Value string `json:"Value"`
}

// Envelope returns the JSON notification of message id for subscription
// sub, sent at now.
func Envelope(topic Ref, sub SubRef, id string, m Message, now time.Time) string {
	e := envelope{
		Type:             "Notification",
		MessageID:        id,
		TopicArn:         topic.ARN(),
		Subject:          m.Subject,
		Message:          m.Body,
		Timestamp:        now.UTC().Format("2006-01-02T15:04:05.000Z"),
		SignatureVersion: "1",
		SequenceNumber:   m.seq,
	}
	if len(m.Attributes) > 0 {
		e.MessageAttributes = make(map[string]envelopeAttr, len(m.Attributes))
		for k, v := range m.Attributes {
			val := v.StringValue
			if len(v.BinaryValue) > 0 {
				val = base64.StdEncoding.EncodeToString(v.BinaryValue)
			}
			e.MessageAttributes[k] = envelopeAttr{Type: v.DataType, Value: val}
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(e)
	return string(bytes.TrimRight(b.Bytes(), "\n"))
}
