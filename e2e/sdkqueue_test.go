package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sluice-mq/sluice/e2e/internal/sluiceproc"
	"github.com/sluice-mq/sluice/sdk/awshttp"
	"github.com/sluice-mq/sluice/sdk/queue"
)

// sdkQueueClient is the client sdk/queue users pass: the SDK's standard
// retries, the dev tenant's key, and sdk/awshttp's transport, which keeps
// net/http from closing a connection under a reply (aws/aws-sdk-go-v2#2737)
// — a retried receive would hide the first attempt's messages for the
// visibility timeout and blur what these tests measure.
func sdkQueueClient(p *sluiceproc.Process) *sqs.Client {
	return sqs.New(sqs.Options{
		Region:       p.Region,
		BaseEndpoint: aws.String(p.Endpoint),
		Credentials:  sqsClient(p, p.SecretKey).Options().Credentials,
		HTTPClient:   awshttp.NewClient(nil),
	})
}

func createQueue(t *testing.T, c *sqs.Client, name string, attrs map[string]string) (url, arn string) {
	t.Helper()
	ctx := context.Background()
	url = aws.ToString(mustOK(c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs}))(t).QueueUrl)
	arn = mustOK(c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}}))(t).Attributes["QueueArn"]
	return url, arn
}

// depth returns the queue's visible and in-flight counts.
func depth(t *testing.T, c *sqs.Client, url string) (visible, inFlight int) {
	t.Helper()
	out := mustOK(c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages,
			types.QueueAttributeNameApproximateNumberOfMessagesNotVisible}}))(t)
	visible, _ = strconv.Atoi(out.Attributes["ApproximateNumberOfMessages"])
	inFlight, _ = strconv.Atoi(out.Attributes["ApproximateNumberOfMessagesNotVisible"])
	return visible, inFlight
}

// produce sends n messages (bodies prefix-0 … prefix-(n-1)) through a
// Producer, group(i) naming each one's FIFO group if not nil, and fails
// the test unless every one is stored.
func produce(t *testing.T, c *sqs.Client, url, prefix string, n int, group func(i int) string) {
	t.Helper()
	p, err := queue.NewProducer(c, url, queue.ProducerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pending := make([]*queue.Pending, n)
	for i := range n {
		m := queue.Message{Body: fmt.Sprint(prefix, "-", i), Attributes: map[string]queue.Attribute{"seq": queue.NumberAttr(int64(i))}}
		if group != nil {
			m.GroupID, m.DedupID = group(i), fmt.Sprint(prefix, "-", i)
		}
		if pending[i], err = p.SendAsync(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	for i, pd := range pending {
		if _, err := pd.Wait(ctx); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// consume runs a consumer until done returns true (checked every 20 ms)
// or limit passes, and returns how long Run took to return once its
// context ended.
func consume(t *testing.T, c *sqs.Client, url string, opts queue.ConsumerOptions, h queue.Handler, limit time.Duration, done func() bool) time.Duration {
	t.Helper()
	if opts.OnError == nil {
		opts.OnError = func(err error) { t.Logf("consumer: %v", err) }
	}
	cons, err := queue.NewConsumer(c, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	returned := make(chan struct{})
	go func() {
		defer close(returned)
		if err := cons.Run(ctx, h); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	deadline := time.Now().Add(limit)
	for !done() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancelled := time.Now()
	cancel()
	select {
	case <-returned:
	case <-time.After(opts.DrainTimeout + 15*time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	return time.Since(cancelled)
}

// ledger records handler calls per body.
type ledger struct {
	mu       sync.Mutex
	running  map[string]bool
	acked    map[string]int
	calls    map[string]int
	overlaps []string // bodies handled again while a handler of theirs ran
}

func newLedger() *ledger {
	return &ledger{running: map[string]bool{}, acked: map[string]int{}, calls: map[string]int{}}
}

func (l *ledger) begin(body string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.running[body] {
		l.overlaps = append(l.overlaps, body)
	}
	l.running[body] = true
	l.calls[body]++
	return l.calls[body]
}

func (l *ledger) end(body string, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.running[body] = false
	if ok {
		l.acked[body]++
	}
}

func (l *ledger) ackedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// TestSDKQueueAgainstDev drives sdk/queue's Producer and Consumer against
// the real process.
func TestSDKQueueAgainstDev(t *testing.T) {
	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	c := sdkQueueClient(p)

	// 10,000 messages, a 2 s visibility timeout, and every 100th handler
	// sleeping 3 s: the heartbeat must keep those invisible, so no message
	// is handled twice, and every one is acknowledged once.
	t.Run("heartbeat", func(t *testing.T) {
		const n = 10_000
		url, _ := createQueue(t, c, "sdk-heartbeat", map[string]string{"VisibilityTimeout": "2"})
		began := time.Now()
		produce(t, c, url, "hb", n, nil)
		sent := time.Since(began)
		l := newLedger()
		h := func(ctx context.Context, m *queue.Received) error {
			l.begin(m.Body)
			if seq := m.Attributes["seq"].StringValue; seq != "" && len(seq) >= 2 && seq[len(seq)-2:] == "00" {
				time.Sleep(3 * time.Second)
			}
			l.end(m.Body, true)
			return nil
		}
		began = time.Now()
		consume(t, c, url, queue.ConsumerOptions{Pollers: 4, Concurrency: 64, VisibilityTimeout: 2 * time.Second, WaitTime: time.Second},
			h, 50*time.Second, func() bool { return l.ackedCount() == n })
		t.Logf("10,000 messages: sent in %v, consumed in %v", sent.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
		if len(l.overlaps) > 0 {
			t.Fatalf("%d messages handled again while their handler ran (heartbeat failed), e.g. %s", len(l.overlaps), l.overlaps[0])
		}
		for i := range n {
			body := fmt.Sprint("hb-", i)
			if l.calls[body] != 1 || l.acked[body] != 1 {
				t.Fatalf("%s handled %d times, acked %d times; want once", body, l.calls[body], l.acked[body])
			}
		}
		if v, f := depth(t, c, url); v+f != 0 {
			t.Fatalf("queue holds %d visible and %d in flight after every message was acked", v, f)
		}
	})

	// Handlers failing at random: failed messages come back (Backoff 0)
	// until they succeed or the redrive policy moves them to the
	// dead-letter queue after 3 receives. Every 20th message always fails.
	// A receive can still be lost on the client (aws-sdk-go-v2 retries a
	// read cut by net/http's "use of closed network connection",
	// aws/aws-sdk-go-v2#2737, after the server claimed its messages), so
	// receives are counted by the queue, not by handler calls, and the
	// short visibility timeout brings such messages back soon.
	t.Run("redrive", func(t *testing.T) {
		const n = 300
		dlq, dlqARN := createQueue(t, c, "sdk-redrive-dlq", nil)
		url, _ := createQueue(t, c, "sdk-redrive", map[string]string{"VisibilityTimeout": "2",
			"RedrivePolicy": `{"deadLetterTargetArn":"` + dlqARN + `","maxReceiveCount":"3"}`})
		produce(t, c, url, "rd", n, nil)
		l := newLedger()
		h := func(ctx context.Context, m *queue.Received) error {
			if call := l.begin(m.Body); call > m.ReceiveCount || m.ReceiveCount > 3 {
				t.Errorf("%s: call %d, ReceiveCount %d", m.Body, call, m.ReceiveCount)
			}
			seq, _ := strconv.Atoi(m.Attributes["seq"].StringValue)
			ok := seq%20 != 0 && rand.IntN(10) >= 3
			l.end(m.Body, ok)
			if !ok {
				return fmt.Errorf("failing %s", m.Body)
			}
			return nil
		}
		// Dead letters are counted by taking them off the DLQ: its
		// approximate depth can lag the move.
		deadLetters := map[string]bool{}
		dead := func() int {
			out, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlq), MaxNumberOfMessages: 10})
			if err != nil {
				t.Logf("DLQ: %v", err)
				return len(deadLetters)
			}
			for _, m := range out.Messages {
				deadLetters[aws.ToString(m.Body)] = true
				mustOK(c.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(dlq), ReceiptHandle: m.ReceiptHandle}))(t)
			}
			return len(deadLetters)
		}
		consume(t, c, url, queue.ConsumerOptions{Concurrency: 16, WaitTime: time.Second, VisibilityTimeout: 2 * time.Second, Backoff: queue.ConstantBackoff(0)},
			h, 40*time.Second, func() bool { return l.ackedCount()+dead() >= n })
		acked, deadN := l.ackedCount(), dead()
		t.Logf("%d acked, %d dead-lettered", acked, deadN)
		for body := range deadLetters {
			if l.acked[body] > 0 {
				t.Fatalf("%s both acked and dead-lettered", body)
			}
		}
		if acked+deadN != n {
			t.Fatalf("%d acked + %d dead-lettered, want %d", acked, deadN, n)
		}
		for i := 0; i < n; i += 20 {
			if body := fmt.Sprint("rd-", i); l.acked[body] != 0 || l.calls[body] == 0 || l.calls[body] > 3 {
				t.Fatalf("poison %s: %d calls, %d acks; want 1–3 failed calls", body, l.calls[body], l.acked[body])
			}
		}
		for body, k := range l.acked {
			if k != 1 {
				t.Fatalf("%s acked %d times", body, k)
			}
		}
		if deadN < n/20 {
			t.Fatalf("%d dead-lettered, want at least the %d poison messages", deadN, n/20)
		}
	})

	// FIFO: 8 groups × 60 messages under 8 handlers, with random failures:
	// each group's successes come in send order, one handler at a time.
	t.Run("fifo", func(t *testing.T) {
		const groups, perGroup = 8, 60
		url, _ := createQueue(t, c, "sdk-order.fifo", map[string]string{"FifoQueue": "true"})
		produce(t, c, url, "f", groups*perGroup, func(i int) string { return fmt.Sprint("g", i%groups) })
		var (
			mu       sync.Mutex
			order    = map[string][]int{}
			inGroup  = map[string]int{}
			overlaps int
			peak     int
			running  int
		)
		h := func(ctx context.Context, m *queue.Received) error {
			seq, _ := strconv.Atoi(m.Attributes["seq"].StringValue)
			mu.Lock()
			inGroup[m.GroupID]++
			running++
			peak = max(peak, running)
			if inGroup[m.GroupID] > 1 {
				overlaps++
			}
			mu.Unlock()
			time.Sleep(time.Millisecond)
			fail := rand.IntN(20) == 0
			mu.Lock()
			defer mu.Unlock()
			inGroup[m.GroupID]--
			running--
			if fail {
				return fmt.Errorf("failing %s", m.Body)
			}
			order[m.GroupID] = append(order[m.GroupID], seq)
			return nil
		}
		total := func() int {
			mu.Lock()
			defer mu.Unlock()
			n := 0
			for _, o := range order {
				n += len(o)
			}
			return n
		}
		consume(t, c, url, queue.ConsumerOptions{Pollers: 2, Concurrency: 8, WaitTime: time.Second, Backoff: queue.ConstantBackoff(0)},
			h, 40*time.Second, func() bool { return total() >= groups*perGroup })
		if overlaps > 0 {
			t.Fatalf("%d times a group had two handlers at once", overlaps)
		}
		for g := range groups {
			got := order[fmt.Sprint("g", g)]
			if len(got) != perGroup {
				t.Fatalf("group g%d: %d messages handled, want %d", g, len(got), perGroup)
			}
			for k, seq := range got {
				if seq != k*groups+g {
					t.Fatalf("group g%d out of order at %d: %v", g, k, got)
				}
			}
		}
		t.Logf("FIFO: %d groups in order, up to %d handlers at once", groups, peak)
	})

	// Shutdown mid-load: with a 30 s visibility timeout, a consumer is
	// stopped halfway with a 1 s drain. One handler outlives the drain
	// by a second after its context ends. Right after Run returns nothing may be in
	// flight, and a second consumer then gets every message not acked.
	t.Run("shutdown", func(t *testing.T) {
		const n = 2000
		url, _ := createQueue(t, c, "sdk-shutdown", nil)
		produce(t, c, url, "sd", n, nil)
		l := newLedger()
		// The slow handler is the first one begun in the first run once a
		// quarter is acked, so the first run surely holds it (a fixed
		// body may not be received before the stop, and the second run
		// would then ack it unrecorded).
		var (
			firstRun atomic.Bool
			slow     atomic.Value
		)
		firstRun.Store(true)
		h := func(ctx context.Context, m *queue.Received) error {
			l.begin(m.Body)
			if firstRun.Load() && l.ackedCount() >= n/4 && slow.CompareAndSwap(nil, m.Body) {
				<-ctx.Done() // the drain deadline
				time.Sleep(time.Second)
				return nil // too late: its message was given back at the deadline
			}
			time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond)
			l.end(m.Body, true)
			return nil
		}
		opts := queue.ConsumerOptions{Pollers: 4, Concurrency: 32, WaitTime: 20 * time.Second, DrainTimeout: time.Second}
		took := consume(t, c, url, opts, h, 30*time.Second, func() bool { return l.ackedCount() >= n/2 })
		firstRun.Store(false)
		if slow.Load() == nil {
			t.Fatal("no handler outlived the drain")
		}
		if took < opts.DrainTimeout-100*time.Millisecond || took > opts.DrainTimeout+3*time.Second {
			t.Fatalf("Run took %v to return with a %v drain and a handler running past it", took, opts.DrainTimeout)
		}
		if v, f := depth(t, c, url); f != 0 {
			t.Fatalf("after shutdown: %d messages still invisible (%d visible)", f, v)
		}
		first := l.ackedCount()
		consume(t, c, url, queue.ConsumerOptions{Concurrency: 32, WaitTime: time.Second}, h, 30*time.Second,
			func() bool { return l.ackedCount() >= n })
		dups := 0
		for _, k := range l.acked {
			dups += k - 1
		}
		t.Logf("shutdown after %d of %d acked, Run returned in %v; %d acked twice", first, n, took.Round(time.Millisecond), dups)
		if got := l.ackedCount(); got != n {
			t.Fatalf("%d of %d messages acked in all", got, n)
		}
	})
}

// TestCancelledLongPollKeepsMessagesVisible cancels long polls just
// before a message arrives: the server must not hand it to the request
// the client abandoned, where it would stay hidden for the 30 s visibility
// timeout; it must be receivable at once.
//
// A cancel that lands while the reply is already on the wire is another
// matter: the server has answered, and only the client can know it threw
// the reply away. Those messages stay invisible for the visibility
// timeout (measured: 5 of 80 rounds cancelled 0–3.5 ms after the send
// began, each of them 2 ms or more after),
// which is why sdk/queue lets a poll answer for ShutdownPollGrace first.
func TestCancelledLongPollKeepsMessagesVisible(t *testing.T) {
	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	c := sdkQueueClient(p)
	ctx := context.Background()
	const rounds = 20
	for i := range rounds {
		// A queue a round, so a hidden message does not disturb the next.
		url, _ := createQueue(t, c, fmt.Sprint("cancel-poll-", i), map[string]string{"VisibilityTimeout": "30"})
		pollCtx, cancel := context.WithCancel(ctx)
		polled := make(chan error, 1)
		go func() {
			_, err := c.ReceiveMessage(pollCtx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 5})
			polled <- err
		}()
		time.Sleep(50 * time.Millisecond) // the poll is waiting
		cancel()
		time.Sleep(time.Duration(i%4) * 250 * time.Microsecond) // 0–0.75 ms: before the server sees the cancel, or after
		body := fmt.Sprint("m-", i)
		mustOK(c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body)}))(t)
		if err := <-polled; err == nil {
			t.Fatalf("round %d: the cancelled poll returned without error", i)
		}
		out := mustOK(c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 2}))(t)
		if len(out.Messages) != 1 || aws.ToString(out.Messages[0].Body) != body {
			t.Fatalf("round %d: %s not receivable after a long poll was cancelled as it arrived (got %d messages)", i, body, len(out.Messages))
		}
	}
}
