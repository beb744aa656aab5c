// Package chaos runs Sluice under faults with clients that record every
// operation, and judges the histories with package history.
package chaos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/sluice-mq/sluice/e2e/chaos/history"
	"github.com/sluice-mq/sluice/e2e/internal/sluiceproc"
	"github.com/sluice-mq/sluice/sdk/awshttp"
)

// RoundsEnv sets how many times TestKillDev kills `sluice dev` (default
// 5; the campaign is 50).
const RoundsEnv = "SLUICE_CHAOS_ROUNDS"

// HistoryEnv names a file to which TestKillDev writes its history (JSON
// lines); it is also written to a kept temporary file when the check fails.
const HistoryEnv = "SLUICE_CHAOS_HISTORY"

const (
	stdQ, stdDLQ   = "chaos-std", "chaos-std-dlq"
	fifoQ, fifoDLQ = "chaos.fifo", "chaos-dlq.fifo"
	maxReceives    = 3
	maxVisibility  = 3 * time.Second
	maxDelay       = 2 * time.Second
	callTimeout    = 5 * time.Second
)

// TestKillDev: `sluice dev` is killed with SIGKILL every 1–3 s and started
// again on the same data directory and port while producers and consumers
// of a standard and a FIFO queue (batches, per-message delays, abandoned
// receives, dead-letter moves after 3 receives, every queue tiered with a
// hot window of 0) record what they did. After the last round the queues
// are drained and the history is checked: nothing acknowledged lost,
// nothing delivered twice inside its visibility, no phantoms, FIFO order,
// nothing delivered after an acknowledged delete.
func TestKillDev(t *testing.T) {
	rounds := 5
	if s := os.Getenv(RoundsEnv); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			t.Fatalf("%s=%q: want 1–1000", RoundsEnv, s)
		}
		rounds = n
	}
	if testing.Short() {
		rounds = min(rounds, 2)
	}
	data := t.TempDir()
	listen := freeAddr(t)
	start := func() *sluiceproc.Process {
		return sluiceproc.StartDev(t, "--data", data, "--listen", listen, "--tier-interval", "300ms")
	}
	p := start()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("sluice dev's last log:\n%s", tailLines(p.Stderr(), 40))
		}
	})
	access, secret := p.AccessKey, p.SecretKey
	newClient := func() *sqs.Client {
		return sqs.New(sqs.Options{
			Region: p.Region, BaseEndpoint: aws.String(p.Endpoint),
			Credentials:      credentials.NewStaticCredentialsProvider(access, secret, ""),
			RetryMaxAttempts: 1, HTTPClient: awshttp.NewClient(nil),
		})
	}
	urls := setupQueues(t, p, newClient())

	rec := history.NewRecorder()
	ctx, stop := context.WithCancel(context.Background())
	load := startMixedLoad(ctx, ctx, newClient, rec, urls, 1, producerPace{})

	rnd := rand.New(rand.NewPCG(99, 1))
	var down time.Duration
	began := time.Now()
	for round := 1; round <= rounds; round++ {
		time.Sleep(time.Second + time.Duration(rnd.Int64N(int64(2*time.Second))))
		inv := rec.Now()
		p.Kill()
		killed := time.Now()
		p = start()
		down += time.Since(killed)
		rec.Add(history.Op{Client: "nemesis", Kind: history.Fault, Invoke: inv, Complete: rec.Now(),
			Err: fmt.Sprintf("round %d: SIGKILL, restarted", round)})
		if p.AccessKey != access {
			t.Fatalf("round %d: access key %s after restart, was %s", round, p.AccessKey, access)
		}
	}
	time.Sleep(time.Second)
	stop()
	load.wait()
	took := time.Since(began)
	segments, _ := filepath.Glob(filepath.Join(data, "blobs", "objects", "segments", "*", "*", "*"))
	var cold []string
	for _, q := range []string{stdQ, fifoQ, stdDLQ, fifoDLQ} {
		cold = append(cold, fmt.Sprintf("%s %s", q, storage(t, p, q)))
	}
	t.Logf("after the load: %d segment files; %s", len(segments), strings.Join(cold, "; "))
	if len(segments) == 0 {
		t.Errorf("no segment files: nothing was tiered")
	}

	// Every visibility timeout and delay has run out: drain everything.
	time.Sleep(maxVisibility + 500*time.Millisecond)
	drain(t, &worker{name: "drain", c: newClient(), rec: rec, rnd: rand.New(rand.NewPCG(7, 7))}, urls)

	ops := rec.Ops()
	if path := os.Getenv(HistoryEnv); path != "" {
		writeHistory(t, path, ops)
	}
	// Standard queues' claims are lazy (docs/architecture.md §3): a kill
	// may undo one made just before it, and the message comes again
	// inside its visibility — at-least-once, as SQS's standard queues.
	// FIFO claims are durable, so any repeat there is an anomaly.
	lazy := func(q string) bool { return !strings.HasSuffix(q, ".fifo") }
	r := history.Checker{Slack: history.DefaultSlack, LazyClaims: lazy}.Check(ops)
	t.Logf("%d rounds in %v (down %v): %s", rounds, took.Round(time.Millisecond), down.Round(time.Millisecond), r.Summary())
	counts := countLoad(ops)
	t.Logf("%s", counts)
	if counts.stdSent == 0 || counts.fifoSent == 0 || r.Deliveries == 0 {
		t.Errorf("the load did too little to judge")
	}
	reportAnomalies(t, r, ops)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func tailLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// dropLines leaves out of s the lines that contain substr.
func dropLines(s, substr string) string {
	lines := strings.Split(s, "\n")
	kept := lines[:0]
	for _, l := range lines {
		if !strings.Contains(l, substr) {
			kept = append(kept, l)
		}
	}
	return strings.Join(kept, "\n")
}

func writeHistory(t *testing.T, path string, ops []history.Op) {
	f, err := os.Create(path)
	if err != nil {
		t.Error(err)
		return
	}
	defer f.Close()
	if err := history.WriteJSONLines(f, ops); err != nil {
		t.Error(err)
	}
}

// storage is the control plane's storage line for a queue.
func storage(t *testing.T, p *sluiceproc.Process, name string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", p.Endpoint+"/v1/tenants/"+p.AccountID+"/queues/"+name, nil)
	req.Header.Set("Authorization", "Bearer "+p.OperatorToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return ""
	}
	defer resp.Body.Close()
	var q struct{ Storage json.RawMessage }
	if err := json.NewDecoder(resp.Body).Decode(&q); err != nil {
		t.Error(err)
	}
	return string(q.Storage)
}

// setupQueues creates the queues with their dead-letter queues and sets
// every queue's hot window to 0 through the control plane.
func setupQueues(t *testing.T, p *sluiceproc.Process, c *sqs.Client) map[string]string {
	t.Helper()
	ctx := context.Background()
	urls := map[string]string{}
	create := func(name string, attrs map[string]string) {
		out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		urls[name] = aws.ToString(out.QueueUrl)
		body := strings.NewReader(`{"tiering":{"hotWindowSeconds":0}}`)
		req, _ := http.NewRequest("PATCH", p.Endpoint+"/v1/tenants/"+p.AccountID+"/queues/"+name, body)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+p.OperatorToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var q struct {
			Tiering struct{ HotWindowSeconds *int64 }
		}
		if resp.StatusCode != 200 || json.Unmarshal(b, &q) != nil || q.Tiering.HotWindowSeconds == nil || *q.Tiering.HotWindowSeconds != 0 {
			t.Fatalf("tiering of %s: %d %s", name, resp.StatusCode, b)
		}
	}
	arn := func(name string) string {
		out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(urls[name]),
			AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
		if err != nil {
			t.Fatal(err)
		}
		return out.Attributes["QueueArn"]
	}
	redrive := func(dlq string) string {
		return fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":%d}`, arn(dlq), maxReceives)
	}
	create(stdDLQ, nil)
	create(fifoDLQ, map[string]string{"FifoQueue": "true"})
	create(stdQ, map[string]string{"VisibilityTimeout": "2", "RedrivePolicy": redrive(stdDLQ)})
	create(fifoQ, map[string]string{"FifoQueue": "true", "VisibilityTimeout": "2", "RedrivePolicy": redrive(fifoDLQ)})
	return urls
}

// worker is one client goroutine with its own connection pool and
// random source, recording into the shared history.
type worker struct {
	name string
	c    *sqs.Client
	rec  *history.Recorder
	rnd  *rand.Rand
	seq  int
	// pace, when set, is the pause after each send call, bounding the
	// load's volume where a faster machine would otherwise send more than
	// the scenario's drain can take.
	pace time.Duration
}

// body is the message body for a token: the token, then padding whose
// size (0–4 KiB, one in 16 up to 64 KiB) follows from the token.
func body(token string) string {
	h := fnv.New32a()
	h.Write([]byte(token))
	v := h.Sum32()
	n := int(v % 4096)
	if v%16 == 0 {
		n = int(v % (64 << 10))
	}
	return token + "|" + strings.Repeat(string(rune('a'+v%26)), n)
}

func tokenOf(b string) (string, bool) {
	tok, _, _ := strings.Cut(b, "|")
	return tok, b == body(tok)
}

// outcome classifies a call's error: no error is OK; a refused connection
// or a 4xx answer did nothing; anything else (reset, timeout, 5xx) may
// have taken effect.
func outcome(err error) history.Outcome {
	var re *smithyhttp.ResponseError
	switch {
	case err == nil:
		return history.OK
	case errors.Is(err, syscall.ECONNREFUSED):
		return history.Failed
	case errors.As(err, &re) && re.HTTPStatusCode() >= 400 && re.HTTPStatusCode() < 500:
		return history.Failed
	}
	return history.Unknown
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

func (w *worker) pause(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-time.After(time.Duration(50+w.rnd.IntN(100)) * time.Millisecond):
	}
}

func (w *worker) produce(ctx context.Context, url, queue string, fifo bool) {
	for i := 0; ctx.Err() == nil && i < 1_000_000; i++ {
		n := 1
		if w.rnd.IntN(2) == 0 {
			n = 2 + w.rnd.IntN(9)
		}
		msgs := make([]history.Msg, n)
		entries := make([]types.SendMessageBatchRequestEntry, n)
		for k := range msgs {
			w.seq++
			tok := fmt.Sprintf("%s-%06d", w.name, w.seq)
			e := types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(k)), MessageBody: aws.String(body(tok))}
			if fifo {
				msgs[k].Group = fmt.Sprintf("g%d", w.rnd.IntN(6))
				e.MessageGroupId = aws.String(msgs[k].Group)
				e.MessageDeduplicationId = aws.String(tok)
			} else if w.rnd.IntN(4) == 0 {
				e.DelaySeconds = int32(1 + w.rnd.IntN(int(maxDelay/time.Second)))
			}
			msgs[k].Token, entries[k] = tok, e
		}
		cctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		inv := w.rec.Now()
		var err error
		if n == 1 {
			e := entries[0]
			_, err = w.c.SendMessage(cctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: e.MessageBody,
				DelaySeconds: e.DelaySeconds, MessageGroupId: e.MessageGroupId, MessageDeduplicationId: e.MessageDeduplicationId})
			msgs[0].Outcome = outcome(err)
		} else {
			var out *sqs.SendMessageBatchOutput
			out, err = w.c.SendMessageBatch(cctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
			for k := range msgs {
				msgs[k].Outcome = outcome(err)
			}
			if err == nil {
				for k := range msgs {
					msgs[k].Outcome = history.Unknown // neither successful nor failed: never seen
				}
				for _, s := range out.Successful {
					k, _ := strconv.Atoi(aws.ToString(s.Id))
					msgs[k].Outcome, msgs[k].MessageID = history.OK, aws.ToString(s.MessageId)
				}
				for _, f := range out.Failed {
					k, _ := strconv.Atoi(aws.ToString(f.Id))
					msgs[k].Outcome = history.Unknown
					if f.SenderFault {
						msgs[k].Outcome = history.Failed
					}
				}
			}
		}
		done := w.rec.Now()
		cancel()
		w.rec.Add(history.Op{Client: w.name, Kind: history.Send, Queue: queue, Invoke: inv, Complete: done, Err: errText(err), Msgs: msgs})
		if err != nil {
			w.pause(ctx)
		} else if w.pace > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(w.pace):
			}
		}
	}
}

// receive receives once with the given visibility timeout and records it.
func (w *worker) receive(url, queue string, max int32, vis time.Duration, wait int32) ([]types.Message, error) {
	cctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	inv := w.rec.Now()
	out, err := w.c.ReceiveMessage(cctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: max,
		VisibilityTimeout: int32(vis / time.Second), WaitTimeSeconds: wait})
	done := w.rec.Now()
	op := history.Op{Client: w.name, Kind: history.Receive, Queue: queue, Invoke: inv, Complete: done, Visibility: vis, Err: errText(err)}
	var msgs []types.Message
	if err == nil {
		msgs = out.Messages
		for _, m := range msgs {
			tok, intact := tokenOf(aws.ToString(m.Body))
			op.Msgs = append(op.Msgs, history.Msg{Token: tok, Outcome: history.OK, MessageID: aws.ToString(m.MessageId),
				Receipt: aws.ToString(m.ReceiptHandle), Corrupt: !intact})
		}
	}
	w.rec.Add(op)
	return msgs, err
}

// delete deletes msgs, one call or a batch, and records it.
func (w *worker) delete(url, queue string, msgs []types.Message, batch bool) error {
	cctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	hm := make([]history.Msg, len(msgs))
	for k, m := range msgs {
		tok, _ := tokenOf(aws.ToString(m.Body))
		hm[k] = history.Msg{Token: tok, Receipt: aws.ToString(m.ReceiptHandle)}
	}
	inv := w.rec.Now()
	var err error
	if !batch || len(msgs) == 1 {
		for k, m := range msgs { // one call each, recorded apart
			if k > 0 {
				inv = w.rec.Now()
			}
			_, err = w.c.DeleteMessage(cctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle})
			hm[k].Outcome = outcome(err)
			w.rec.Add(history.Op{Client: w.name, Kind: history.Delete, Queue: queue, Invoke: inv, Complete: w.rec.Now(),
				Err: errText(err), Msgs: hm[k : k+1]})
			if err != nil {
				return err
			}
		}
		return nil
	}
	entries := make([]types.DeleteMessageBatchRequestEntry, len(msgs))
	for k, m := range msgs {
		entries[k] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(k)), ReceiptHandle: m.ReceiptHandle}
	}
	out, err := w.c.DeleteMessageBatch(cctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
	done := w.rec.Now()
	for k := range hm {
		hm[k].Outcome = outcome(err)
		if err == nil {
			hm[k].Outcome = history.Unknown
		}
	}
	if err == nil {
		for _, s := range out.Successful {
			k, _ := strconv.Atoi(aws.ToString(s.Id))
			hm[k].Outcome = history.OK
		}
		for _, f := range out.Failed {
			k, _ := strconv.Atoi(aws.ToString(f.Id))
			hm[k].Outcome = history.Failed
		}
	}
	w.rec.Add(history.Op{Client: w.name, Kind: history.Delete, Queue: queue, Invoke: inv, Complete: done, Err: errText(err), Msgs: hm})
	return err
}

func (w *worker) consume(ctx context.Context, url, queue string) {
	for i := 0; ctx.Err() == nil && i < 1_000_000; i++ {
		vis := time.Duration(1+w.rnd.IntN(int(maxVisibility/time.Second))) * time.Second
		msgs, err := w.receive(url, queue, int32(1+w.rnd.IntN(10)), vis, int32(w.rnd.IntN(2)))
		if err != nil {
			w.pause(ctx)
			continue
		}
		var keep []types.Message
		for _, m := range msgs {
			if w.rnd.IntN(5) > 0 { // one in five abandoned
				keep = append(keep, m)
			}
		}
		if len(keep) > 0 && w.delete(url, queue, keep, w.rnd.IntN(2) == 0) != nil {
			w.pause(ctx)
		}
	}
}

// drain receives and deletes until every queue answers empty twice in a
// row, within a minute and a half.
func drain(t *testing.T, w *worker, urls map[string]string) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	empty := 0
	for empty < 2 {
		if time.Now().After(deadline) {
			t.Errorf("queues not drained in 90 s")
			return
		}
		got := 0
		for _, q := range []string{stdQ, fifoQ, stdDLQ, fifoDLQ} {
			for range 10_000 {
				msgs, err := w.receive(urls[q], q, 10, 30*time.Second, 1)
				if err != nil {
					t.Errorf("drain receive %s: %v", q, err)
					time.Sleep(200 * time.Millisecond)
					break
				}
				if len(msgs) == 0 {
					break
				}
				got += len(msgs)
				if err := w.delete(urls[q], q, msgs, true); err != nil {
					t.Errorf("drain delete %s: %v", q, err)
				}
			}
		}
		if got == 0 {
			empty++
		} else {
			empty = 0
		}
	}
}
