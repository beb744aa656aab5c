package queue

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Transactional messages are a Sluice extension of SQS
// (docs/transactional-messages.md): SendHalfMessage stores a message that
// no receive sees until EndTransaction commits it; a rollback discards it.
// The two actions are sent through the SQS client itself — its endpoint,
// credentials, SigV4 signing and retries — as a SendMessage or
// DeleteMessage call whose X-Amz-Target (and, for EndTransaction, body) a
// middleware in the serialize step rewrites before the request is signed.
// The client must therefore speak the AWS JSON protocol, as every
// aws-sdk-go-v2 SQS client since v1.35 does.

// TransactionAPI is what SendInTransaction needs of the SQS client;
// *sqs.Client implements it.
type TransactionAPI interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
}

var _ TransactionAPI = (*sqs.Client)(nil)

// ErrNoTransactions is SendInTransaction's error when the producer's
// client cannot send the transaction actions.
var ErrNoTransactions = errors.New("queue: the client does not implement TransactionAPI")

// TransactionError is SendInTransaction's error when the local step
// succeeded but the commit was not acknowledged: the message is then
// decided by the queue's check-back (or rolled back at its timeout).
type TransactionError struct {
	TransactionID string
	Err           error
}

func (e *TransactionError) Error() string {
	return fmt.Sprintf("queue: commit of transaction %s: %v", e.TransactionID, e.Err)
}

func (e *TransactionError) Unwrap() error { return e.Err }

// SendInTransaction sends m as a half message, runs local, and commits the
// message when local returns nil or rolls it back when local fails (or
// panics: the panic goes on after the rollback). The message is delivered
// only if it commits. It returns local's error unchanged, or a
// *TransactionError when the commit itself failed. m goes out at once,
// not through the producer's batches.
//
// A producer that dies between the send and the decision leaves the
// decision to the queue's check-back endpoint (SluiceTransactionPolicy),
// which local should make answerable: record in the same local
// transaction that the message's transaction id committed.
func (p *Producer) SendInTransaction(ctx context.Context, m Message, local func(ctx context.Context) error) (SendResult, error) {
	tc, ok := p.client.(TransactionAPI)
	if !ok {
		return SendResult{}, ErrNoTransactions
	}
	if m.Body == "" {
		return SendResult{}, errors.New("queue: message body is empty")
	}
	if size := m.size(); size > p.opts.MaxBytes {
		return SendResult{}, fmt.Errorf("queue: message of %d bytes is over the %d-byte limit", size, p.opts.MaxBytes)
	}
	if m.TraceHeader == "" && !p.opts.NoTracePropagation {
		m.TraceHeader = traceHeaderFrom(ctx)
	}
	res, txID, err := SendHalfMessage(ctx, tc, p.queueURL, m)
	if err != nil {
		return SendResult{}, err
	}
	// The decision outlives the caller's context: a cancelled caller
	// must not leave its local commit without the message's.
	decided := false
	defer func() {
		if !decided {
			if r := recover(); r != nil {
				_ = EndTransaction(context.WithoutCancel(ctx), tc, p.queueURL, txID, false)
				panic(r)
			}
		}
	}()
	if err := local(WithTransactionID(ctx, txID)); err != nil {
		decided = true
		if rbErr := EndTransaction(context.WithoutCancel(ctx), tc, p.queueURL, txID, false); rbErr != nil {
			return res, errors.Join(err, &TransactionError{TransactionID: txID, Err: rbErr})
		}
		return res, err
	}
	decided = true
	if err := EndTransaction(context.WithoutCancel(ctx), tc, p.queueURL, txID, true); err != nil {
		return res, &TransactionError{TransactionID: txID, Err: err}
	}
	return res, nil
}

type txIDKey struct{}

// WithTransactionID returns ctx carrying a transaction id; SendInTransaction
// hands its local step such a context.
func WithTransactionID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, txIDKey{}, id)
}

// TransactionID returns the transaction id in ctx: inside
// SendInTransaction's local step, the one to record for the check-back.
func TransactionID(ctx context.Context) string {
	id, _ := ctx.Value(txIDKey{}).(string)
	return id
}

// SendHalfMessage sends m to queueURL as a half message and returns its
// result and transaction id. End it with EndTransaction.
func SendHalfMessage(ctx context.Context, c TransactionAPI, queueURL string, m Message) (SendResult, string, error) {
	e := m.toEntry("m")
	in := &sqs.SendMessageInput{
		QueueUrl: aws.String(queueURL), MessageBody: e.MessageBody, DelaySeconds: e.DelaySeconds,
		MessageGroupId: e.MessageGroupId, MessageDeduplicationId: e.MessageDeduplicationId,
		MessageAttributes: e.MessageAttributes, MessageSystemAttributes: e.MessageSystemAttributes,
	}
	var reply struct{ TransactionId string }
	out, err := c.SendMessage(ctx, in, extension("SendHalfMessage", nil, &reply))
	if err != nil {
		return SendResult{}, "", err
	}
	if reply.TransactionId == "" {
		return SendResult{}, "", errors.New("queue: SendHalfMessage answered no TransactionId (is the endpoint Sluice?)")
	}
	return SendResult{MessageID: aws.ToString(out.MessageId), SequenceNumber: aws.ToString(out.SequenceNumber)}, reply.TransactionId, nil
}

// EndTransaction commits (commit true) or rolls back a half message.
// Deciding the same way twice succeeds; the other way fails with
// TransactionAlreadyCommitted or TransactionAlreadyRolledBack.
func EndTransaction(ctx context.Context, c TransactionAPI, queueURL, txID string, commit bool) error {
	decision := "ROLLBACK"
	if commit {
		decision = "COMMIT"
	}
	body, err := json.Marshal(map[string]string{"QueueUrl": queueURL, "TransactionId": txID, "Decision": decision})
	if err != nil {
		return err
	}
	// DeleteMessage carries the call: its input names the queue the same
	// way, its empty output is EndTransaction's, and its body is replaced.
	_, err = c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(queueURL), ReceiptHandle: aws.String(txID)},
		extension("EndTransaction", body, nil))
	return err
}

// extension turns the call it is given to into the Sluice action: it sets
// X-Amz-Target, replaces the body when body is not nil, and, when reply is
// not nil, decodes the raw JSON answer into it as well.
func extension(action string, body []byte, reply any) func(*sqs.Options) {
	return func(o *sqs.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			rewrite := middleware.SerializeMiddlewareFunc("SluiceExtension", func(ctx context.Context, in middleware.SerializeInput, next middleware.SerializeHandler) (middleware.SerializeOutput, middleware.Metadata, error) {
				req, ok := in.Request.(*smithyhttp.Request)
				if !ok {
					return middleware.SerializeOutput{}, middleware.Metadata{}, fmt.Errorf("queue: unexpected transport request %T", in.Request)
				}
				req.Header.Set("X-Amz-Target", "AmazonSQS."+action)
				if body != nil {
					r, err := req.SetStream(bytes.NewReader(body))
					if err != nil {
						return middleware.SerializeOutput{}, middleware.Metadata{}, err
					}
					in.Request = r
				}
				return next.HandleSerialize(ctx, in)
			})
			if err := s.Serialize.Add(rewrite, middleware.After); err != nil {
				return err
			}
			if reply == nil {
				return nil
			}
			capture := middleware.DeserializeMiddlewareFunc("SluiceExtensionReply", func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleDeserialize(ctx, in)
				if err != nil {
					return out, md, err
				}
				resp, ok := out.RawResponse.(*smithyhttp.Response)
				if !ok || resp.StatusCode != 200 {
					return out, md, nil
				}
				raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
				if err != nil {
					return out, md, err
				}
				_ = resp.Body.Close()
				resp.Body = io.NopCloser(bytes.NewReader(raw))
				_ = json.Unmarshal(raw, reply) // the operation's own decoder reports a bad body
				return out, md, nil
			})
			return s.Deserialize.Add(capture, middleware.After)
		})
	}
}
