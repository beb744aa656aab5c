package console

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// errNoDataPlane answers a message action on a node without the data
// plane.
var errNoDataPlane = &pageError{Status: http.StatusNotImplemented, Code: "NoDataPlane",
	Message: "This node does not run the data plane: open the console on a node that does to send, poll, purge or redrive."}

// sqsAs is the context to call SQS with as the page's account, once the
// control plane has shown the user may act for it (403 otherwise).
func (c *Console) sqsAs(r *http.Request, s *session) (context.Context, error) {
	if c.sqs == nil {
		return nil, errNoDataPlane
	}
	t, err := s.cp.GetTenant(r.Context(), r.PathValue("account"))
	if err != nil {
		return nil, err
	}
	return c.sqs.as(r.Context(), t)
}

// messageAttrRows is how many message attributes the send form offers.
const messageAttrRows = 3

func (c *Console) sendMessage(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx, err := c.sqsAs(r, s)
	if err != nil {
		return err
	}
	f, name := r.PostForm, r.PathValue("queue")
	in := &sqs.SendMessageInput{QueueUrl: aws.String(name), MessageBody: aws.String(f.Get("body"))}
	if v := strings.TrimSpace(f.Get("delay")); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return &pageError{Status: http.StatusBadRequest, Code: "InvalidParameterValue", Message: "Delay seconds must be a whole number from 0 to 900."}
		}
		in.DelaySeconds = int32(n)
	}
	if v := f.Get("group"); v != "" {
		in.MessageGroupId = aws.String(v)
	}
	if v := f.Get("dedup"); v != "" {
		in.MessageDeduplicationId = aws.String(v)
	}
	for i := range messageAttrRows {
		n := strconv.Itoa(i)
		key := strings.TrimSpace(f.Get("attr-name-" + n))
		if key == "" {
			continue
		}
		if in.MessageAttributes == nil {
			in.MessageAttributes = map[string]types.MessageAttributeValue{}
		}
		typ := f.Get("attr-type-" + n)
		val := f.Get("attr-value-" + n)
		av := types.MessageAttributeValue{DataType: aws.String(typ)}
		if strings.HasPrefix(typ, "Binary") {
			av.BinaryValue = []byte(val)
		} else {
			av.StringValue = aws.String(val)
		}
		in.MessageAttributes[key] = av
	}
	out, err := c.sqs.client.SendMessage(ctx, in)
	target := name
	if err == nil {
		target += " " + aws.ToString(out.MessageId)
	}
	c.audit.record(r, s, "send-message", target, err)
	if err != nil {
		return err
	}
	redirect(w, r, queuePath(r.PathValue("account"), name), "sent")
	return nil
}

// polledMessage is a received message as the poll panel shows it.
type polledMessage struct {
	ID, Body, ReceiptHandle string
	Attributes              []kv // message attributes: name, type: value
	System                  []kv // system attributes
}

type kv struct{ Key, Value string }

func sortedKV[V any](m map[string]V, show func(V) string) []kv {
	out := make([]kv, 0, len(m))
	for k, v := range m {
		out = append(out, kv{k, show(v)})
	}
	slices.SortFunc(out, func(a, b kv) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// pollMessages is a real ReceiveMessage: the messages become invisible
// for the chosen visibility timeout and their receive count goes up, as
// the page says.
func (c *Console) pollMessages(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx, err := c.sqsAs(r, s)
	if err != nil {
		return err
	}
	name := r.PathValue("queue")
	in := &sqs.ReceiveMessageInput{QueueUrl: aws.String(name),
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"}}
	for field, into := range map[string]*int32{"max": &in.MaxNumberOfMessages, "visibility": &in.VisibilityTimeout, "wait": &in.WaitTimeSeconds} {
		if v := strings.TrimSpace(r.PostForm.Get(field)); v != "" {
			n, err := strconv.ParseInt(v, 10, 32)
			if err != nil {
				return &pageError{Status: http.StatusBadRequest, Code: "InvalidParameterValue", Message: "The " + field + " field must be a whole number."}
			}
			*into = int32(n)
		}
	}
	out, err := c.sqs.client.ReceiveMessage(ctx, in)
	c.audit.record(r, s, "poll-messages", name, err)
	if err != nil {
		return err
	}
	v, err := c.queueView(r, s)
	if err != nil {
		return err
	}
	v.Polled = true
	for _, m := range out.Messages {
		v.Messages = append(v.Messages, polledMessage{
			ID: aws.ToString(m.MessageId), Body: aws.ToString(m.Body), ReceiptHandle: aws.ToString(m.ReceiptHandle),
			Attributes: sortedKV(m.MessageAttributes, func(a types.MessageAttributeValue) string {
				if a.StringValue != nil {
					return aws.ToString(a.DataType) + ": " + aws.ToString(a.StringValue)
				}
				return aws.ToString(a.DataType) + ": " + string(a.BinaryValue)
			}),
			System: sortedKV(m.Attributes, func(s string) string { return s }),
		})
	}
	c.renderQueue(w, r, s, v)
	return nil
}

func (c *Console) deleteMessage(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx, err := c.sqsAs(r, s)
	if err != nil {
		return err
	}
	name := r.PathValue("queue")
	_, err = c.sqs.client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(name), ReceiptHandle: aws.String(r.PostForm.Get("receipt"))})
	c.audit.record(r, s, "delete-message", name+" "+r.PostForm.Get("id"), err)
	if err != nil {
		return err
	}
	redirect(w, r, queuePath(r.PathValue("account"), name), "msg-deleted")
	return nil
}
