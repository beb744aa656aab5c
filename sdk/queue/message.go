package queue

import (
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Message is a message to send.
type Message struct {
	Body string
	// Attributes are the user's message attributes (at most 10).
	Attributes map[string]Attribute
	// GroupID and DedupID are the FIFO message group and deduplication
	// ids; DedupID may be empty on a queue with content-based
	// deduplication.
	GroupID string
	DedupID string
	// Delay postpones delivery (standard queues), whole seconds up to 15 min.
	Delay time.Duration
	// TraceHeader is sent as the AWSTraceHeader system attribute. When
	// empty, the Producer fills it from the span in Send's context.
	TraceHeader string
}

// Attribute is one message attribute. DataType is String, Number or
// Binary, optionally with a custom suffix ("String.json").
type Attribute struct {
	DataType    string
	StringValue string
	BinaryValue []byte
}

// StringAttr, NumberAttr and BinaryAttr build attributes of the base types.
func StringAttr(v string) Attribute { return Attribute{DataType: "String", StringValue: v} }

// NumberAttr is a Number attribute holding v's decimal form.
func NumberAttr(v int64) Attribute {
	return Attribute{DataType: "Number", StringValue: strconv.FormatInt(v, 10)}
}

// BinaryAttr is a Binary attribute.
func BinaryAttr(v []byte) Attribute { return Attribute{DataType: "Binary", BinaryValue: v} }

// Received is a message handed to a Handler.
type Received struct {
	ID            string
	Body          string
	ReceiptHandle string
	Attributes    map[string]Attribute
	// System holds the system attributes the queue returned of those
	// the consumer asks for: ApproximateReceiveCount, MessageGroupId,
	// AWSTraceHeader, SequenceNumber and SentTimestamp.
	System map[string]string
	// GroupID is the FIFO message group, "" on a standard queue.
	GroupID string
	// ReceiveCount is ApproximateReceiveCount: 1 on the first delivery.
	ReceiveCount int
	// TraceHeader is the AWSTraceHeader the producer sent, if any.
	TraceHeader string
}

const traceHeaderName = string(types.MessageSystemAttributeNameAWSTraceHeader)

func fromSQS(m types.Message) *Received {
	r := &Received{
		ID:            aws.ToString(m.MessageId),
		Body:          aws.ToString(m.Body),
		ReceiptHandle: aws.ToString(m.ReceiptHandle),
		System:        m.Attributes,
		GroupID:       m.Attributes[string(types.MessageSystemAttributeNameMessageGroupId)],
		TraceHeader:   m.Attributes[traceHeaderName],
	}
	r.ReceiveCount, _ = strconv.Atoi(m.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)])
	if len(m.MessageAttributes) > 0 {
		r.Attributes = make(map[string]Attribute, len(m.MessageAttributes))
		for name, v := range m.MessageAttributes {
			r.Attributes[name] = Attribute{DataType: aws.ToString(v.DataType), StringValue: aws.ToString(v.StringValue), BinaryValue: v.BinaryValue}
		}
	}
	return r
}

// toEntry builds the batch entry for m with the given id.
func (m *Message) toEntry(id string) types.SendMessageBatchRequestEntry {
	e := types.SendMessageBatchRequestEntry{
		Id:           aws.String(id),
		MessageBody:  aws.String(m.Body),
		DelaySeconds: int32(m.Delay / time.Second),
	}
	if m.GroupID != "" {
		e.MessageGroupId = aws.String(m.GroupID)
	}
	if m.DedupID != "" {
		e.MessageDeduplicationId = aws.String(m.DedupID)
	}
	if len(m.Attributes) > 0 {
		e.MessageAttributes = make(map[string]types.MessageAttributeValue, len(m.Attributes))
		for name, a := range m.Attributes {
			v := types.MessageAttributeValue{DataType: aws.String(a.DataType), BinaryValue: a.BinaryValue}
			if a.BinaryValue == nil {
				v.StringValue = aws.String(a.StringValue)
			}
			e.MessageAttributes[name] = v
		}
	}
	if m.TraceHeader != "" {
		e.MessageSystemAttributes = map[string]types.MessageSystemAttributeValue{
			traceHeaderName: {DataType: aws.String("String"), StringValue: aws.String(m.TraceHeader)},
		}
	}
	return e
}
