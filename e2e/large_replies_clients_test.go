package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sluice-mq/sluice/e2e/internal/sluiceproc"
)

// sdkQueue is a queue through aws-sdk-go-v2 (JSON protocol).
type sdkQueue struct {
	c   *sqs.Client
	url *string
}

func newSDKQueue(t *testing.T, p *sluiceproc.Process, name string) sdkQueue {
	c := sqsClient(p, p.SecretKey)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out := mustOK(c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)}))(t)
	return sdkQueue{c: c, url: out.QueueUrl}
}

func (q sdkQueue) send(ctx context.Context, bodies []string) error {
	entries := make([]types.SendMessageBatchRequestEntry, len(bodies))
	for i, b := range bodies {
		entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), MessageBody: aws.String(b)}
	}
	out, err := q.c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q.url, Entries: entries})
	if err == nil && len(out.Failed) > 0 {
		err = fmt.Errorf("%d entries failed: %s", len(out.Failed), aws.ToString(out.Failed[0].Message))
	}
	return err
}

func (q sdkQueue) receive(ctx context.Context) ([]received, error) {
	out, err := q.c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
	if err != nil {
		return nil, err
	}
	msgs := make([]received, len(out.Messages))
	for i, m := range out.Messages {
		msgs[i] = received{body: aws.ToString(m.Body), md5: aws.ToString(m.MD5OfBody), receipt: aws.ToString(m.ReceiptHandle)}
	}
	return msgs, nil
}

func (q sdkQueue) remove(ctx context.Context, msgs []received) error {
	entries := make([]types.DeleteMessageBatchRequestEntry, len(msgs))
	for i, m := range msgs {
		entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), ReceiptHandle: aws.String(m.receipt)}
	}
	out, err := q.c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: q.url, Entries: entries})
	if err == nil && len(out.Failed) > 0 {
		err = fmt.Errorf("%d entries failed: %s", len(out.Failed), aws.ToString(out.Failed[0].Message))
	}
	return err
}

// queryClient posts SigV4-signed Query forms over keep-alive connections
// and reads the XML replies, as the older SDKs do.
type queryClient struct {
	p      *sluiceproc.Process
	http   *http.Client
	signer *v4.Signer
}

func newQueryClient(p *sluiceproc.Process) *queryClient {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 16
	return &queryClient{p: p, http: &http.Client{Transport: t}, signer: v4.NewSigner()}
}

// call posts params and decodes a 200 reply into out.
func (c *queryClient) call(ctx context.Context, params url.Values, out any) error {
	params.Set("Version", "2012-11-05")
	body := params.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.p.Endpoint+"/", strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: c.p.AccessKey, SecretAccessKey: c.p.SecretKey}
	if err := c.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "sqs", c.p.Region, time.Now()); err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s: reading the reply: %w", params.Get("Action"), err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d: %.300s", params.Get("Action"), resp.StatusCode, reply)
	}
	if err := xml.NewDecoder(bytes.NewReader(reply)).Decode(out); err != nil {
		return fmt.Errorf("%s: %w in %.300s", params.Get("Action"), err, reply)
	}
	return nil
}

// queryQueue is a queue through the Query protocol.
type queryQueue struct {
	c   *queryClient
	url string
}

func newQueryQueue(t *testing.T, p *sluiceproc.Process, name string) queryQueue {
	c := newQueryClient(p)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out struct {
		URL string `xml:"CreateQueueResult>QueueUrl"`
	}
	if err := c.call(ctx, url.Values{"Action": {"CreateQueue"}, "QueueName": {name}}, &out); err != nil {
		t.Fatal(err)
	}
	return queryQueue{c: c, url: out.URL}
}

// batchResult is the part of a send or delete batch reply the tests read.
type batchResult struct {
	SendFailed   []string `xml:"SendMessageBatchResult>BatchResultErrorEntry>Message"`
	DeleteFailed []string `xml:"DeleteMessageBatchResult>BatchResultErrorEntry>Message"`
}

func (b batchResult) err() error {
	if failed := append(b.SendFailed, b.DeleteFailed...); len(failed) > 0 {
		return fmt.Errorf("%d entries failed: %s", len(failed), failed[0])
	}
	return nil
}

func (q queryQueue) send(ctx context.Context, bodies []string) error {
	params := url.Values{"Action": {"SendMessageBatch"}, "QueueUrl": {q.url}}
	for i, b := range bodies {
		params.Set(fmt.Sprintf("SendMessageBatchRequestEntry.%d.Id", i+1), fmt.Sprint(i))
		params.Set(fmt.Sprintf("SendMessageBatchRequestEntry.%d.MessageBody", i+1), b)
	}
	var out batchResult
	if err := q.c.call(ctx, params, &out); err != nil {
		return err
	}
	return out.err()
}

func (q queryQueue) receive(ctx context.Context) ([]received, error) {
	var out struct {
		Messages []struct {
			Body          string `xml:"Body"`
			MD5OfBody     string `xml:"MD5OfBody"`
			ReceiptHandle string `xml:"ReceiptHandle"`
		} `xml:"ReceiveMessageResult>Message"`
	}
	err := q.c.call(ctx, url.Values{"Action": {"ReceiveMessage"}, "QueueUrl": {q.url},
		"MaxNumberOfMessages": {"10"}, "WaitTimeSeconds": {"1"}}, &out)
	if err != nil {
		return nil, err
	}
	msgs := make([]received, len(out.Messages))
	for i, m := range out.Messages {
		msgs[i] = received{body: m.Body, md5: m.MD5OfBody, receipt: m.ReceiptHandle}
	}
	return msgs, nil
}

func (q queryQueue) remove(ctx context.Context, msgs []received) error {
	params := url.Values{"Action": {"DeleteMessageBatch"}, "QueueUrl": {q.url}}
	for i, m := range msgs {
		params.Set(fmt.Sprintf("DeleteMessageBatchRequestEntry.%d.Id", i+1), fmt.Sprint(i))
		params.Set(fmt.Sprintf("DeleteMessageBatchRequestEntry.%d.ReceiptHandle", i+1), m.receipt)
	}
	var out batchResult
	if err := q.c.call(ctx, params, &out); err != nil {
		return err
	}
	return out.err()
}
