package chaos

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
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sluice-mq/sluice/e2e/chaos/history"
	"github.com/sluice-mq/sluice/e2e/internal/sluiceproc"
	"github.com/sluice-mq/sluice/sdk/awshttp"
	"github.com/sluice-mq/sluice/sdk/queue"
)

const (
	txStdQ, txFifoQ = "tx-std", "tx.fifo"
	// txSrcQ names tx-std as its dead-letter queue, so a move task can
	// take tx-std's messages to it.
	txSrcQ          = "tx-src"
	txLoad          = 8 * time.Second
	txMaxVisibility = 3 * time.Second
)

// txQueue is one queue of TestHalfMessagesUnderLoad with the test's own
// bound on what it may hold.
type txQueue struct {
	name, url string
	fifo      bool
	// committing counts half messages whose commit was issued (counted
	// before the call, so a commit the server has applied is always in
	// it); deleted counts tokens whose delete certainly took effect
	// (counted after the acknowledgement). committing − deleted bounds
	// what the queue can hold at any instant.
	committing, deleted atomic.Int64
	deletedTok          sync.Map
	// commitAt is each committed token's history time just before its
	// commit was issued: a delivery completed before it saw a half message.
	commitAt sync.Map
}

// pending is a half message left undecided until the load ends.
type pending struct {
	q    *txQueue
	txID string
	op   history.Op
}

// TestHalfMessagesUnderLoad: producers on a standard and a FIFO queue send
// half messages (docs/transactional-messages.md) and, after a short random
// pause, commit, roll back or leave each undecided until the end, when it
// is rolled back; consumers receive (visibility 2–3 s), abandon one in
// five and delete the rest; a poller checks that GetQueueAttributes never
// counts more than the committed-and-not-deleted messages. After the
// load, with the undecided half messages still pending, a move task takes
// the standard queue's messages to a third queue and must move no more
// than that bound either; the undecided are then rolled back. After a drain
// the history checker must find nothing lost, delivered twice, delivered
// though rolled back (phantom), out of FIFO order or delivered after a
// delete, and no delivery may precede its message's commit.
func TestHalfMessagesUnderLoad(t *testing.T) {
	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	newClient := func() *sqs.Client {
		return sqs.New(sqs.Options{
			Region: p.Region, BaseEndpoint: aws.String(p.Endpoint),
			Credentials:      credentials.NewStaticCredentialsProvider(p.AccessKey, p.SecretKey, ""),
			RetryMaxAttempts: 1, HTTPClient: awshttp.NewClient(nil),
		})
	}
	ctx := context.Background()
	admin := newClient()
	qs := []*txQueue{{name: txStdQ}, {name: txFifoQ, fifo: true}}
	for _, q := range qs {
		// A long decision timeout: nothing is resolved behind the test's back.
		attrs := map[string]string{"VisibilityTimeout": "2", "SluiceTransactionPolicy": `{"timeoutSeconds":600}`}
		if q.fifo {
			attrs["FifoQueue"] = "true"
		}
		out, err := admin.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(q.name), Attributes: attrs})
		if err != nil {
			t.Fatalf("create %s: %v", q.name, err)
		}
		q.url = aws.ToString(out.QueueUrl)
	}
	std := qs[0]
	stdARN := queueARN(t, admin, std.url)
	src := &txQueue{name: txSrcQ}
	{
		out, err := admin.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(src.name), Attributes: map[string]string{
			"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":10}`, stdARN)}})
		if err != nil {
			t.Fatalf("create %s: %v", src.name, err)
		}
		src.url = aws.ToString(out.QueueUrl)
	}

	began := time.Now()
	rec := history.NewRecorder()
	loadCtx, stop := context.WithCancel(ctx)
	var (
		wg         sync.WaitGroup
		mu         sync.Mutex
		undecided  []pending
		problems   []string
		decisions  = map[string]int{}
		countPolls atomic.Int64
	)
	problem := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if len(problems) < 50 {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	for qi, q := range qs {
		for i := range 2 {
			w := &worker{name: fmt.Sprintf("%s-p%d", q.name, i), c: newClient(), rec: rec, rnd: rand.New(rand.NewPCG(uint64(100+10*qi+i), 3))}
			wg.Go(func() {
				for n := 0; loadCtx.Err() == nil && n < 2000; n++ {
					pd, what := w.sendHalf(loadCtx, q, problem)
					mu.Lock()
					if pd != nil {
						undecided = append(undecided, *pd)
					}
					decisions[q.name+" "+what]++
					mu.Unlock()
				}
			})
		}
		for i := range 2 {
			w := &worker{name: fmt.Sprintf("%s-c%d", q.name, i), c: newClient(), rec: rec, rnd: rand.New(rand.NewPCG(uint64(200+10*qi+i), 3))}
			wg.Go(func() { w.consumeTx(loadCtx, q) })
		}
		c := newClient()
		wg.Go(func() {
			for n := 0; loadCtx.Err() == nil && n < 10_000; n++ {
				if err := pollCount(loadCtx, c, q); err != nil {
					if loadCtx.Err() == nil {
						problem("%v", err)
					}
				} else {
					countPolls.Add(1)
				}
				select {
				case <-loadCtx.Done():
				case <-time.After(50 * time.Millisecond):
				}
			}
		})
	}
	time.Sleep(txLoad)
	stop()
	wg.Wait()
	loaded := time.Since(began)

	// Every visibility timeout has run out. With the undecided half
	// messages still pending, a move task takes tx-std's messages to
	// tx-src: it must move only committed ones (at most the bound), and
	// any half message it moved would be delivered from tx-src — a phantom
	// — and fail its late rollback.
	time.Sleep(txMaxVisibility + 500*time.Millisecond)
	bound := std.committing.Load() - std.deleted.Load()
	moved := moveAll(t, admin, stdARN, queueARN(t, admin, src.url))
	t.Logf("move task %s → %s: %d moved (at most %d committed and not deleted)", std.name, src.name, moved, bound)
	if moved > bound {
		t.Errorf("the move task moved %d messages, at most %d committed and not deleted", moved, bound)
	}

	// Roll back what was left undecided; each is recorded as a failed send,
	// so any delivery of it is a phantom.
	for _, pd := range undecided {
		err := queue.EndTransaction(ctx, admin, pd.q.url, pd.txID, false)
		if err != nil {
			problem("late rollback of %s on %s: %v", pd.op.Msgs[0].Token, pd.q.name, err)
			pd.op.Msgs[0].Outcome = history.Unknown
		}
		rec.Add(pd.op)
	}
	dw := &worker{name: "drain", c: newClient(), rec: rec, rnd: rand.New(rand.NewPCG(7, 7))}
	for _, q := range append(qs, src) {
		drainTx(t, dw, q)
		if err := pollCount(ctx, admin, q); err != nil {
			t.Error(err)
		}
	}

	drained := time.Since(began)
	ops := rec.Ops()
	r := history.Checker{Slack: history.DefaultSlack}.Check(ops)
	t.Logf("load and its stop %v, drained at %v", loaded.Round(time.Millisecond), drained.Round(time.Millisecond))
	t.Logf("%v of load, %d count polls, decisions %v: %s", txLoad, countPolls.Load(), decisions, r.Summary())
	// A delivery that completed before its message's commit was issued
	// delivered a half message (the checker counts it as acknowledged).
	early := 0
	for _, op := range ops {
		if op.Kind != history.Receive {
			continue
		}
		for _, m := range op.Msgs {
			for _, q := range qs {
				if v, ok := q.commitAt.Load(m.Token); ok && op.Complete < v.(time.Duration) {
					early++
					problem("%s delivered by #%d (done %v) before its commit at %v", m.Token, op.Index, op.Complete, v)
				}
			}
		}
	}
	for _, q := range qs {
		if decisions[q.name+" commit"] == 0 || decisions[q.name+" rollback"] == 0 || decisions[q.name+" undecided"] == 0 {
			t.Errorf("%s: the load did too little to judge: %v", q.name, decisions)
		}
	}
	if r.Deliveries == 0 || countPolls.Load() == 0 {
		t.Errorf("the load did too little to judge: %d deliveries, %d count polls", r.Deliveries, countPolls.Load())
	}
	t.Logf("delivered before commit: %d; other problems: %d", early, len(problems))
	for _, s := range problems {
		t.Error(s)
	}
	for i, a := range r.Anomalies {
		if i == 30 {
			t.Errorf("… and %d more", len(r.Anomalies)-i)
			break
		}
		t.Errorf("%s", a)
	}
}

// sendHalf sends one half message to q, pauses 0–150 ms (the local
// transaction) and commits it (half), rolls it back (a third) or leaves it
// undecided (a sixth), which it returns for the end of the load.
func (w *worker) sendHalf(ctx context.Context, q *txQueue, problem func(string, ...any)) (*pending, string) {
	w.seq++
	tok := fmt.Sprintf("%s-%06d", w.name, w.seq)
	m := queue.Message{Body: body(tok)}
	hm := history.Msg{Token: tok}
	if q.fifo {
		hm.Group = fmt.Sprintf("g%d", w.rnd.IntN(8))
		m.GroupID, m.DedupID = hm.Group, tok
	}
	cctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	inv := w.rec.Now()
	res, txID, err := queue.SendHalfMessage(cctx, w.c, q.url, m)
	// The send's times are the half send's: a FIFO half message takes its
	// place in its group then.
	op := history.Op{Client: w.name, Kind: history.Send, Queue: q.name, Invoke: inv, Complete: w.rec.Now(), Err: errText(err)}
	if err != nil {
		// Never committed, so it must never be delivered either way.
		hm.Outcome = history.Failed
		op.Msgs = []history.Msg{hm}
		w.rec.Add(op)
		w.pause(ctx)
		return nil, "send-error"
	}
	hm.MessageID = res.MessageID
	time.Sleep(time.Duration(w.rnd.IntN(150)) * time.Millisecond)
	var what string
	switch d := w.rnd.IntN(6); {
	case d < 3:
		what = "commit"
		q.commitAt.Store(tok, w.rec.Now())
		q.committing.Add(1)
		err = queue.EndTransaction(cctx, w.c, q.url, txID, true)
		hm.Outcome = history.OK
		if err != nil {
			hm.Outcome = outcome(err)
			if hm.Outcome == history.Failed {
				problem("commit of %s on %s refused: %v", tok, q.name, err)
			}
		}
	case d < 5:
		what = "rollback"
		err = queue.EndTransaction(cctx, w.c, q.url, txID, false)
		hm.Outcome = history.Failed
		if err != nil {
			hm.Outcome = history.Unknown
			problem("rollback of %s on %s: %v", tok, q.name, err)
		}
	default:
		hm.Outcome = history.Failed // rolled back after the load
		op.Msgs = []history.Msg{hm}
		return &pending{q: q, txID: txID, op: op}, "undecided"
	}
	op.Msgs = []history.Msg{hm}
	w.rec.Add(op)
	return nil, what
}

// consumeTx receives with visibility 2–3 s, abandons one message in five
// and deletes the rest, counting the deletes that certainly took effect.
func (w *worker) consumeTx(ctx context.Context, q *txQueue) {
	for i := 0; ctx.Err() == nil && i < 100_000; i++ {
		vis := time.Duration(2+w.rnd.IntN(2)) * time.Second
		inv := w.rec.Now()
		msgs, err := w.receive(q.url, q.name, int32(1+w.rnd.IntN(10)), vis, int32(w.rnd.IntN(2)))
		if err != nil {
			w.pause(ctx)
			continue
		}
		var keep []types.Message
		for _, m := range msgs {
			if w.rnd.IntN(5) > 0 {
				keep = append(keep, m)
			}
		}
		if len(keep) == 0 {
			continue
		}
		err = w.delete(q.url, q.name, keep, false)
		done := w.rec.Now()
		if err == nil && done+history.DefaultSlack < inv+vis {
			q.countDeleted(keep)
		} else if err != nil {
			w.pause(ctx)
		}
	}
}

// countDeleted counts msgs, deleted with receipts still certainly valid,
// once per token and only if its commit was issued: a delivered half
// message must not lower the bound that is to catch it.
func (q *txQueue) countDeleted(msgs []types.Message) {
	for _, m := range msgs {
		tok, _ := tokenOf(aws.ToString(m.Body))
		if _, committed := q.commitAt.Load(tok); !committed {
			continue
		}
		if _, dup := q.deletedTok.LoadOrStore(tok, true); !dup {
			q.deleted.Add(1)
		}
	}
}

// pollCount checks that the queue counts no more messages than were
// committed and not deleted. No margin is needed: the bound is read so
// that it is at least the true content at whatever instant the server
// answered — deletes counted before the call (each took effect before
// its acknowledgement), commits counted after it (each counted before
// it was issued) — and on one node (`sluice dev`) the counts have no lag
// (docs/architecture.md, "Counts").
func pollCount(ctx context.Context, c *sqs.Client, q *txQueue) error {
	deleted := q.deleted.Load()
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := c.GetQueueAttributes(cctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(q.url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages,
			types.QueueAttributeNameApproximateNumberOfMessagesNotVisible, types.QueueAttributeNameApproximateNumberOfMessagesDelayed}})
	if err != nil {
		return fmt.Errorf("counts of %s: %w", q.name, err)
	}
	bound := q.committing.Load() - deleted
	var total int64
	for _, a := range []string{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"} {
		n, err := strconv.ParseInt(out.Attributes[a], 10, 64)
		if err != nil {
			return fmt.Errorf("counts of %s: %s=%q", q.name, a, out.Attributes[a])
		}
		total += n
	}
	if total > bound {
		return fmt.Errorf("%s counts %d messages (%v), at most %d committed and not deleted", q.name, total, out.Attributes, bound)
	}
	return nil
}

// drainTx receives and deletes until q answers empty twice in a row,
// within 30 s.
func drainTx(t *testing.T, w *worker, q *txQueue) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for empty := 0; empty < 2; {
		if time.Now().After(deadline) {
			t.Errorf("%s not drained in 30 s", q.name)
			return
		}
		inv := w.rec.Now()
		msgs, err := w.receive(q.url, q.name, 10, 30*time.Second, 1)
		if err != nil {
			t.Errorf("drain receive %s: %v", q.name, err)
			time.Sleep(200 * time.Millisecond)
			continue
		}
		if len(msgs) == 0 {
			empty++
			continue
		}
		empty = 0
		// One delete call each: a batch could fail an entry without an error.
		if err := w.delete(q.url, q.name, msgs, false); err != nil {
			t.Errorf("drain delete %s: %v", q.name, err)
		} else if w.rec.Now()+history.DefaultSlack < inv+30*time.Second {
			q.countDeleted(msgs)
		}
	}
}

func queueARN(t *testing.T, c *sqs.Client, url string) string {
	t.Helper()
	out, err := c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Attributes["QueueArn"]
}

// moveAll runs a message move task from source to dest and waits, up to
// 20 s, until it completes; it returns how many messages it moved.
func moveAll(t *testing.T, c *sqs.Client, source, dest string) int64 {
	t.Helper()
	ctx := context.Background()
	if _, err := c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(source), DestinationArn: aws.String(dest)}); err != nil {
		t.Fatalf("start move task: %v", err)
	}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		out, err := c.ListMessageMoveTasks(ctx, &sqs.ListMessageMoveTasksInput{SourceArn: aws.String(source)})
		if err != nil {
			t.Fatalf("list move tasks: %v", err)
		}
		if len(out.Results) == 0 {
			continue
		}
		switch task := out.Results[0]; aws.ToString(task.Status) {
		case "COMPLETED":
			return task.ApproximateNumberOfMessagesMoved
		case "RUNNING", "CANCELLING":
		default:
			t.Fatalf("move task %s: %s", aws.ToString(task.Status), aws.ToString(task.FailureReason))
		}
	}
	t.Fatalf("move task not completed in 20 s")
	return 0
}
