package e2e

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sluice-mq/sluice/e2e/internal/sluiceproc"
	"github.com/sluice-mq/sluice/sdk/queue"
)

// Transactional messages (docs/transactional-messages.md) through the Go
// SDK's Producer.SendInTransaction and the SendHalfMessage/EndTransaction
// extension calls, against `sluice dev`.

func newTxnProducer(t *testing.T, c *sqs.Client, url string) *queue.Producer {
	t.Helper()
	p, err := queue.NewProducer(c, url, queue.ProducerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close(context.Background()) })
	return p
}

// receiveBodies receives once, waiting up to wait seconds, and deletes
// what it got.
func receiveBodies(t *testing.T, c *sqs.Client, url string, wait int32) []string {
	t.Helper()
	ctx := context.Background()
	out := mustOK(c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: wait}))(t)
	var bodies []string
	for _, m := range out.Messages {
		bodies = append(bodies, aws.ToString(m.Body))
		mustOK(c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}))(t)
	}
	return bodies
}

// receiveUntil receives until want bodies arrived or the deadline passed.
func receiveUntil(t *testing.T, c *sqs.Client, url string, want int, within time.Duration) []string {
	t.Helper()
	var got []string
	for deadline := time.Now().Add(within); len(got) < want && time.Now().Before(deadline); {
		got = append(got, receiveBodies(t, c, url, 1)...)
	}
	return got
}

func TestTransactionCommitDeliversOnce(t *testing.T) {
	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	c := sdkQueueClient(p)
	url, _ := createQueue(t, c, "txn-commit", nil)
	prod := newTxnProducer(t, c, url)
	ctx := context.Background()
	var seenTxID string
	res, err := prod.SendInTransaction(ctx, queue.Message{Body: "order-42"}, func(ctx context.Context) error {
		seenTxID = queue.TransactionID(ctx)
		// The message is invisible while the local step runs.
		if got := receiveBodies(t, c, url, 0); len(got) != 0 {
			return fmt.Errorf("received %v before the commit", got)
		}
		if v, nv := depth(t, c, url); v+nv != 0 {
			return fmt.Errorf("queue counts %d+%d messages before the commit", v, nv)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seenTxID == "" || res.MessageID == "" {
		t.Fatalf("transaction id %q, result %+v", seenTxID, res)
	}
	if got := receiveUntil(t, c, url, 1, 10*time.Second); len(got) != 1 || got[0] != "order-42" {
		t.Fatalf("after commit received %v", got)
	}
	// Commit again is commit; rollback now is a clear error.
	if err := queue.EndTransaction(ctx, c, url, seenTxID, true); err != nil {
		t.Fatalf("second commit: %v", err)
	}
	wantCode(t, queue.EndTransaction(ctx, c, url, seenTxID, false), "TransactionAlreadyCommitted")
	if got := receiveBodies(t, c, url, 1); len(got) != 0 {
		t.Fatalf("delivered again: %v", got)
	}
}

func TestTransactionRollbackNeverDelivers(t *testing.T) {
	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	c := sdkQueueClient(p)
	url, _ := createQueue(t, c, "txn-rollback", nil)
	prod := newTxnProducer(t, c, url)
	ctx := context.Background()
	localErr := errors.New("insufficient funds")
	var txID string
	_, err := prod.SendInTransaction(ctx, queue.Message{Body: "never"}, func(ctx context.Context) error {
		txID = queue.TransactionID(ctx)
		return localErr
	})
	if !errors.Is(err, localErr) {
		t.Fatalf("SendInTransaction returned %v, want the local step's error", err)
	}
	if got := receiveBodies(t, c, url, 2); len(got) != 0 {
		t.Fatalf("a rolled-back message was delivered: %v", got)
	}
	wantCode(t, queue.EndTransaction(ctx, c, url, txID, true), "TransactionAlreadyRolledBack")
	// A panicking local step rolls back too.
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the panic did not go on")
			}
		}()
		_, _ = prod.SendInTransaction(ctx, queue.Message{Body: "panicked"}, func(ctx context.Context) error {
			txID = queue.TransactionID(ctx)
			panic("boom")
		})
	}()
	wantCode(t, queue.EndTransaction(ctx, c, url, txID, true), "TransactionAlreadyRolledBack")
	wantCode(t, queue.EndTransaction(ctx, c, url, "not-a-transaction", true), "InvalidTransactionId")
	if v, nv := depth(t, c, url); v+nv != 0 {
		t.Fatalf("queue counts %d+%d messages", v, nv)
	}
}

// checkBackEndpoint is a producer's check-back endpoint: it verifies the
// signature and answers decide(body).
type checkBackEndpoint struct {
	*httptest.Server
	calls  atomic.Int32
	badSig atomic.Int32
}

func newCheckBackEndpoint(t *testing.T, secret string, decide func(body string) string) *checkBackEndpoint {
	ep := &checkBackEndpoint{}
	ep.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ep.calls.Add(1)
		raw, _ := io.ReadAll(r.Body)
		if !verifyCheckBackSignature(secret, r.Header.Get("X-Sluice-Signature"), raw) {
			ep.badSig.Add(1)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var req struct{ TransactionID, Body string }
		_ = json.Unmarshal(raw, &req)
		_ = json.NewEncoder(w).Encode(map[string]string{"decision": decide(req.Body)})
	}))
	t.Cleanup(ep.Close)
	return ep
}

func policy(url string, timeout, maxChecks int, onExhausted string) string {
	b, _ := json.Marshal(map[string]any{"checkBackUrl": url, "checkBackSecret": "s3cret",
		"timeoutSeconds": timeout, "maxCheckBacks": maxChecks, "onExhausted": onExhausted})
	return string(b)
}

// The producer dies between the send and its decision (it never sends
// one): the check-back endpoint decides.
func TestTransactionCheckBackDecides(t *testing.T) {
	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	c := sdkQueueClient(p)
	ep := newCheckBackEndpoint(t, "s3cret", func(body string) string {
		return map[string]string{"commit-me": "commit", "roll-me": "rollback"}[body]
	})
	url, _ := createQueue(t, c, "txn-checkback", map[string]string{"SluiceTransactionPolicy": policy(ep.URL, 1, 3, "rollback")})
	ctx := context.Background()
	_, commitID := mustHalf(t, c, url, "commit-me")
	_, rollID := mustHalf(t, c, url, "roll-me")
	if got := receiveUntil(t, c, url, 1, 15*time.Second); len(got) != 1 || got[0] != "commit-me" {
		t.Fatalf("received %v, want [commit-me]", got)
	}
	txnEventually(t, 10*time.Second, "the rollback", func() bool {
		err := queue.EndTransaction(ctx, c, url, rollID, true)
		return err != nil && strings.Contains(err.Error(), "TransactionAlreadyRolledBack")
	})
	if err := queue.EndTransaction(ctx, c, url, commitID, true); err != nil {
		t.Fatalf("commit after the check-back committed: %v", err)
	}
	if ep.badSig.Load() != 0 || ep.calls.Load() != 2 {
		t.Fatalf("%d check-backs, %d badly signed; want 2, 0", ep.calls.Load(), ep.badSig.Load())
	}
	if got := receiveBodies(t, c, url, 1); len(got) != 0 {
		t.Fatalf("received %v after the check-backs", got)
	}
}

// An endpoint that is down: after maxCheckBacks failures the message is
// rolled back, or moved to the dead-letter queue, per the policy.
func TestTransactionCheckBackEndpointDown(t *testing.T) {
	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	c := sdkQueueClient(p)
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	dlqURL, dlqARN := createQueue(t, c, "txn-dlq", nil)
	redrive := fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":5}`, dlqARN)
	rbURL, _ := createQueue(t, c, "txn-down-rollback", map[string]string{"SluiceTransactionPolicy": policy(downURL, 1, 2, "rollback"), "RedrivePolicy": redrive})
	dlURL, _ := createQueue(t, c, "txn-down-dlq", map[string]string{"SluiceTransactionPolicy": policy(downURL, 1, 2, "deadLetter"), "RedrivePolicy": redrive})
	ctx := context.Background()
	_, rbID := mustHalf(t, c, rbURL, "to-roll-back")
	_, dlID := mustHalf(t, c, dlURL, "to-dead-letter")
	dead := receiveUntil(t, c, dlqURL, 1, 20*time.Second)
	if len(dead) != 1 || dead[0] != "to-dead-letter" {
		t.Fatalf("dead-letter queue received %v", dead)
	}
	err := queue.EndTransaction(ctx, c, dlURL, dlID, true)
	wantCode(t, err, "TransactionDeadLettered")
	if !strings.Contains(err.Error(), "2 check-backs") {
		t.Fatalf("the reason is not recorded: %v", err)
	}
	txnEventually(t, 10*time.Second, "the rollback", func() bool {
		err := queue.EndTransaction(ctx, c, rbURL, rbID, true)
		return err != nil && strings.Contains(err.Error(), "TransactionAlreadyRolledBack")
	})
	for _, u := range []string{rbURL, dlURL} {
		if got := receiveBodies(t, c, u, 1); len(got) != 0 {
			t.Fatalf("%s delivered %v", u, got)
		}
	}
}

// Half messages never reach a receive or the counts, under concurrent
// sends, decisions and receives.
func TestTransactionHalfMessagesInvisibleUnderLoad(t *testing.T) {
	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	c := sdkQueueClient(p)
	url, _ := createQueue(t, c, "txn-load", map[string]string{"SluiceTransactionPolicy": `{"timeoutSeconds":600}`})
	prod := newTxnProducer(t, c, url)
	const producers, each = 4, 25
	var (
		committed atomic.Int64
		wg        sync.WaitGroup
		stop      = make(chan struct{})
		mu        sync.Mutex
		received  = map[string]int{}
		failures  []string
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		failures = append(failures, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for w := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				switch i % 3 {
				case 0: // committed
					body := fmt.Sprintf("commit-%d-%d", w, i)
					if _, err := prod.SendInTransaction(ctx, queue.Message{Body: body}, func(context.Context) error { return nil }); err != nil {
						fail("commit %s: %v", body, err)
						continue
					}
					committed.Add(1)
				case 1: // rolled back
					_, _ = prod.SendInTransaction(ctx, queue.Message{Body: fmt.Sprintf("rollback-%d-%d", w, i)}, func(context.Context) error { return errors.New("no") })
				default: // left undecided
					if _, _, err := queue.SendHalfMessage(ctx, c, url, queue.Message{Body: fmt.Sprintf("pending-%d-%d", w, i)}); err != nil {
						fail("half send: %v", err)
					}
				}
			}
		}()
	}
	var readers sync.WaitGroup
	for range 2 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
				if err != nil {
					fail("receive: %v", err)
					return
				}
				for _, m := range out.Messages {
					body := aws.ToString(m.Body)
					mu.Lock()
					received[body]++
					mu.Unlock()
					if !strings.HasPrefix(body, "commit-") {
						fail("received %s", body)
					}
					_, _ = c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle})
				}
			}
		}()
	}
	// The counts never show more messages than were committed.
	readers.Add(1)
	go func() {
		defer readers.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
				AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
			if err != nil {
				fail("counts: %v", err)
				return
			}
			var v, nv, dl int64
			fmt.Sscan(out.Attributes["ApproximateNumberOfMessages"], &v)
			fmt.Sscan(out.Attributes["ApproximateNumberOfMessagesNotVisible"], &nv)
			fmt.Sscan(out.Attributes["ApproximateNumberOfMessagesDelayed"], &dl)
			if n := committed.Load(); v+nv+dl > n {
				fail("counts show %d+%d+%d messages with %d committed", v, nv, dl, n)
			}
		}
	}()
	wg.Wait()
	txnEventually(t, 20*time.Second, "every committed message", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return int64(len(received)) >= committed.Load()
	})
	close(stop)
	readers.Wait()
	mu.Lock()
	defer mu.Unlock()
	for _, f := range failures[:min(len(failures), 5)] {
		t.Error(f)
	}
	for body, n := range received {
		if n != 1 {
			t.Errorf("%s received %d times", body, n)
		}
	}
	if want := int64(producers * ((each + 2) / 3)); committed.Load() != want || int64(len(received)) != want {
		t.Errorf("%d committed, %d received, want %d", committed.Load(), len(received), want)
	}
	if v, nv := depth(t, c, url); v+nv != 0 {
		t.Errorf("counts show %d+%d messages with only undecided half messages left", v, nv)
	}
}

// A FIFO half message holds its group until it is decided; order is kept
// after the commit.
func TestTransactionFIFOHoldsItsGroup(t *testing.T) {
	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	c := sdkQueueClient(p)
	url, _ := createQueue(t, c, "txn.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	ctx := context.Background()
	send := func(body string) {
		mustOK(c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body), MessageGroupId: aws.String("g")}))(t)
	}
	send("a")
	_, txID, err := queue.SendHalfMessage(ctx, c, url, queue.Message{Body: "half", GroupID: "g"})
	if err != nil {
		t.Fatal(err)
	}
	send("b")
	send("c")
	if got := receiveBodies(t, c, url, 1); len(got) != 1 || got[0] != "a" {
		t.Fatalf("received %v, want [a]: the half message holds the group after a", got)
	}
	if got := receiveBodies(t, c, url, 1); len(got) != 0 {
		t.Fatalf("received %v while the half message heads the group", got)
	}
	if err := queue.EndTransaction(ctx, c, url, txID, true); err != nil {
		t.Fatal(err)
	}
	got := receiveUntil(t, c, url, 3, 10*time.Second)
	if strings.Join(got, ",") != "half,b,c" {
		t.Fatalf("after commit received %v, want [half b c]", got)
	}
}

// kill -9 between the half send and the decision: the decision taken
// after the restart holds, and nothing is delivered twice.
func TestTransactionSurvivesKill(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	p := sluiceproc.StartDev(t, "--data", data)
	c := sdkQueueClient(p)
	url, _ := createQueue(t, c, "txn-kill", map[string]string{"SluiceTransactionPolicy": `{"timeoutSeconds":600}`})
	_, commitID := mustHalf(t, c, url, "commit-after-restart")
	_, rollID := mustHalf(t, c, url, "rollback-after-restart")
	p.Kill()
	p = sluiceproc.StartDev(t, "--data", data)
	c = sdkQueueClient(p)
	ctx := context.Background()
	if got := receiveBodies(t, c, url, 1); len(got) != 0 {
		t.Fatalf("received %v after the restart, before any decision", got)
	}
	if err := queue.EndTransaction(ctx, c, url, commitID, true); err != nil {
		t.Fatal(err)
	}
	if err := queue.EndTransaction(ctx, c, url, rollID, false); err != nil {
		t.Fatal(err)
	}
	p.Kill()
	p = sluiceproc.StartDev(t, "--data", data)
	c = sdkQueueClient(p)
	if err := queue.EndTransaction(ctx, c, url, commitID, true); err != nil {
		t.Fatalf("commit again after a second restart: %v", err)
	}
	wantCode(t, queue.EndTransaction(ctx, c, url, rollID, true), "TransactionAlreadyRolledBack")
	got := receiveUntil(t, c, url, 1, 10*time.Second)
	got = append(got, receiveBodies(t, c, url, 1)...)
	if len(got) != 1 || got[0] != "commit-after-restart" {
		t.Fatalf("received %v, want [commit-after-restart] once", got)
	}
}

func mustHalf(t *testing.T, c *sqs.Client, url, body string) (queue.SendResult, string) {
	t.Helper()
	res, txID, err := queue.SendHalfMessage(context.Background(), c, url, queue.Message{Body: body})
	if err != nil {
		t.Fatal(err)
	}
	return res, txID
}

func txnEventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(within); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %v", what, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// verifyCheckBackSignature checks X-Sluice-Signature as the documentation says a
// producer should: "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t.body)>",
// made within the last 5 minutes.
func verifyCheckBackSignature(secret, header string, body []byte) bool {
	var ts, sig string
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	var sec int64
	if _, err := fmt.Sscan(ts, &sec); err != nil || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		return false
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return hmac.Equal([]byte(hex.EncodeToString(m.Sum(nil))), []byte(sig))
}

// BenchmarkTransactionalSendSDK compares, through aws-sdk-go-v2 against
// one `sluice dev`, SendMessage with SendHalfMessage + EndTransaction
// (batch 1), each over 8 concurrent senders; compare the sub-benchmarks'
// msgs/s from the same run.
func BenchmarkTransactionalSendSDK(b *testing.B) {
	p := sluiceproc.StartDev(b, "--data", b.TempDir())
	c := sdkQueueClient(p)
	ctx := context.Background()
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("bench")})
	if err != nil {
		b.Fatal(err)
	}
	url := aws.ToString(out.QueueUrl)
	body := strings.Repeat("x", 256)
	run := func(b *testing.B, send func() error) {
		const workers = 8
		b.SetParallelism(workers)
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := send(); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
	}
	b.Run("plain", func(b *testing.B) {
		run(b, func() error {
			_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body)})
			return err
		})
	})
	b.Run("half+commit", func(b *testing.B) {
		run(b, func() error {
			_, txID, err := queue.SendHalfMessage(ctx, c, url, queue.Message{Body: body})
			if err != nil {
				return err
			}
			return queue.EndTransaction(ctx, c, url, txID, true)
		})
	})
}
