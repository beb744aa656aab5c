package e2e

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sluice-mq/sluice/e2e/internal/sluiceproc"
	"github.com/sluice-mq/sluice/sdk/awshttp"
)

// bigBodySizes are the bodies the large-reply tests send, in turn: from
// 600 B to SQS's classic limit of 256 KiB.
var bigBodySizes = []int{600, 600, 2 << 10, 4 << 10, 6 << 10, 12 << 10, 40 << 10, 100 << 10, 256 << 10}

// bigBody is message i of a run: its number first, then filler that
// depends on i, so a body cut, merged or swapped with another shows.
func bigBody(tag string, i int) string {
	head := fmt.Sprintf("%s %06d ", tag, i)
	size := bigBodySizes[i%len(bigBodySizes)]
	filler := strings.Repeat(string(rune('a'+i%26))+"0123456789", size/11+1)
	return head + filler[:size-len(head)]
}

// bodyNumber reads i back from bigBody(tag, i), or -1.
func bodyNumber(tag, body string) int {
	var i int
	if _, err := fmt.Sscanf(body, tag+" %d ", &i); err != nil {
		return -1
	}
	return i
}

// messageQueue is one protocol's view of a queue, for the load below.
type messageQueue interface {
	// send sends bodies in one batch.
	send(ctx context.Context, bodies []string) error
	// receive receives up to 10 messages, waiting up to a second.
	receive(ctx context.Context) ([]received, error)
	// remove deletes received messages in one batch.
	remove(ctx context.Context, msgs []received) error
}

type received struct {
	body, md5, receipt string
}

// largeReplyLoad has senders and receivers share q at once: messages
// bodies of bigBodySizes, sent in batches of up to 1 MiB and received 10
// at a time. Every message must arrive once, whole and intact.
func largeReplyLoad(t *testing.T, tag string, q messageQueue, total int) {
	const senders, receivers = 3, 3
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	var (
		sent       atomic.Int64
		mu         sync.Mutex
		seen       = make([]bool, total)
		got        int
		fullReply  int // receives that brought 10 messages
		largest    int // bytes of body in the largest reply
		wg         sync.WaitGroup
		errs       = make(chan error, senders+receivers)
		headStart  = make(chan struct{}) // receivers wait for a backlog
		closeStart sync.Once
	)
	fail := func(err error) {
		errs <- err
		cancel()
	}
	for s := range senders {
		wg.Go(func() {
			var batch []string
			size := 0
			flush := func() bool {
				if len(batch) == 0 {
					return true
				}
				if err := q.send(ctx, batch); err != nil {
					fail(fmt.Errorf("%s: send: %w", tag, err))
					return false
				}
				if sent.Add(int64(len(batch))) >= int64(total/2) {
					closeStart.Do(func() { close(headStart) })
				}
				batch, size = batch[:0], 0
				return true
			}
			for i := s; i < total; i += senders {
				b := bigBody(tag, i)
				if len(batch) == 10 || size+len(b) > 900<<10 {
					if !flush() {
						return
					}
				}
				batch, size = append(batch, b), size+len(b)
			}
			flush()
		})
	}
	for range receivers {
		wg.Go(func() {
			select {
			case <-headStart:
			case <-ctx.Done():
				return
			}
			for ctx.Err() == nil {
				mu.Lock()
				done := got == total
				mu.Unlock()
				if done {
					return
				}
				msgs, err := q.receive(ctx)
				if err != nil {
					fail(fmt.Errorf("%s: receive: %w", tag, err))
					return
				}
				replyBytes := 0
				for _, m := range msgs {
					i := bodyNumber(tag, m.body)
					sum := md5.Sum([]byte(m.body))
					if i < 0 || i >= total || m.body != bigBody(tag, i) || m.md5 != hex.EncodeToString(sum[:]) {
						fail(fmt.Errorf("%s: message %d came back as %d bytes %.40q…, MD5 %s", tag, i, len(m.body), m.body, m.md5))
						return
					}
					replyBytes += len(m.body)
					mu.Lock()
					if seen[i] {
						mu.Unlock()
						fail(fmt.Errorf("%s: message %d delivered twice", tag, i))
						return
					}
					seen[i] = true
					got++
					mu.Unlock()
				}
				mu.Lock()
				if len(msgs) == 10 {
					fullReply++
				}
				largest = max(largest, replyBytes)
				mu.Unlock()
				if len(msgs) > 0 {
					if err := q.remove(ctx, msgs); err != nil {
						fail(fmt.Errorf("%s: delete: %w", tag, err))
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	if got != total {
		t.Fatalf("%s: %d of %d messages received before the deadline", tag, got, total)
	}
	// The test is about large replies of 10: it must have made some.
	if fullReply == 0 || largest < 256<<10 {
		t.Fatalf("%s: %d receives of 10, largest reply %d bytes of bodies: the load made no large replies", tag, fullReply, largest)
	}
	t.Logf("%s: %d messages, %d receives of 10, largest reply %d KiB of bodies", tag, total, fullReply, largest>>10)
}

// TestLargeRepliesUnderLoad receives 10 messages at a time, with bodies
// up to 256 KiB, while others send, through aws-sdk-go-v2 (JSON, with
// sdk/awshttp's transport and no retries) and through signed Query form
// posts. Replies of more than about 4 KiB used to fail now and then in
// aws-sdk-go-v2 with "use of closed network connection" (see
// docs/architecture.md §6, "Large replies").
func TestLargeRepliesUnderLoad(t *testing.T) {
	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("sluice dev's log:\n%s", p.Stderr())
		}
	})
	const total = 240
	t.Run("JSON", func(t *testing.T) {
		t.Parallel()
		largeReplyLoad(t, "json", newSDKQueue(t, p, "large-replies-json"), total)
	})
	t.Run("Query", func(t *testing.T) {
		t.Parallel()
		largeReplyLoad(t, "query", newQueryQueue(t, p, "large-replies-query"), total)
	})
}

// closeFirstClient is an SDK HTTP client that settles the race behind
// the old large-reply failures the losing way: net/http, after sending a
// request body, reads it once more (through WriteTo) to check for bytes
// beyond Content-Length; here that read waits until the SDK has closed
// the body, as it does as soon as the reply's headers are in. On a busy
// client the scheduler does the same now and then.
type closeFirstClient struct{ c *http.Client }

func (c closeFirstClient) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		req.Body = &closeFirstBody{ReadCloser: req.Body, closed: make(chan struct{})}
	}
	return c.c.Do(req)
}

type closeFirstBody struct {
	io.ReadCloser
	closed chan struct{}
	once   sync.Once
}

func (b *closeFirstBody) Close() error {
	b.once.Do(func() { close(b.closed) })
	return b.ReadCloser.Close()
}

// WriteTo is what net/http's extra read calls; the SDK's body has one.
func (b *closeFirstBody) WriteTo(w io.Writer) (int64, error) {
	select {
	case <-b.closed:
	case <-time.After(5 * time.Second):
	}
	if wt, ok := b.ReadCloser.(io.WriterTo); ok {
		return wt.WriteTo(w)
	}
	return io.Copy(w, struct{ io.Reader }{b.ReadCloser})
}

// TestSDKLargeReplyWhenBodyClosedFirst makes certain the interleaving
// behind the old large-reply failures (docs/architecture.md §6): the SDK
// closes its request body before net/http's extra read of it. The SDK on
// its own then loses the connection under a large reply; with
// sdk/awshttp's transport it must not.
func TestSDKLargeReplyWhenBodyClosedFirst(t *testing.T) {
	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := sqsClient(p, p.SecretKey)
	// Visibility 0 leaves the messages for the next receive.
	url := mustOK(c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("close-first"),
		Attributes: map[string]string{"VisibilityTimeout": "0"}}))(t).QueueUrl
	largest := len(bigBodySizes) - 1 // 256 KiB: a reply of 2.5 MiB takes a while to read
	for i := range 10 {
		mustOK(c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: url, MessageBody: aws.String(bigBody("close-first", i*len(bigBodySizes)+largest))}))(t)
	}
	receive := func(hc sqs.HTTPClient) error {
		c := sqs.New(sqs.Options{Region: p.Region, BaseEndpoint: aws.String(p.Endpoint),
			Credentials:      credentials.NewStaticCredentialsProvider(p.AccessKey, p.SecretKey, ""),
			RetryMaxAttempts: 1, HTTPClient: hc})
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err == nil && len(out.Messages) != 10 {
			t.Fatalf("received %d messages, want 10", len(out.Messages))
		}
		return err
	}
	// The SDK alone: the failure reproduced. Should a later SDK get past
	// it, sdk/awshttp may no longer be needed.
	err := receive(closeFirstClient{&http.Client{}})
	if err == nil || !strings.Contains(err.Error(), "use of closed network connection") {
		t.Errorf("aws-sdk-go-v2 without sdk/awshttp: %v, want use of closed network connection", err)
	}
	t.Logf("without sdk/awshttp: %v", err)
	fixed := closeFirstClient{awshttp.NewClient(nil)}
	for i := range 3 {
		if err := receive(fixed); err != nil {
			t.Fatalf("receive %d with sdk/awshttp: %v", i, err)
		}
	}
}
