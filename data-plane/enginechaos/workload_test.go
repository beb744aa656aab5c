package enginechaos

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/e2e/chaos/history"
	"github.com/sluice-mq/sluice/internal/kv"
)

// RoundsEnv multiplies the scenarios' load phases (default 1; the
// campaign in docs/reliability.md used more).
const RoundsEnv = "SLUICE_CHAOS_ROUNDS"

// HistoryEnv names a directory to which every scenario writes its history
// (JSON lines, one file per test); a failing one is kept in a temporary
// file anyway.
const HistoryEnv = "SLUICE_CHAOS_HISTORY_DIR"

const (
	stdQ, fifoQ = "chaos-std", "chaos.fifo"
	callTimeout = 5 * time.Second
	fifoGroups  = 4
)

var receiptKey = []byte("0123456789abcdef0123456789abcdef")

// rounds is how many load phases a scenario runs, from RoundsEnv.
func rounds(t *testing.T, def int) int {
	t.Helper()
	v := os.Getenv(RoundsEnv)
	if v == "" {
		if testing.Short() {
			return max(1, def/2)
		}
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000 {
		t.Fatalf("%s=%q: want 1–1000", RoundsEnv, v)
	}
	return n
}

func ref(name string) queues.Ref {
	return queues.Ref{Account: "111122223333", Region: "us-east-1", Name: name}
}

// workload drives producers and consumers of a standard and a FIFO queue
// through a set of engines (nodes sharing a store), recording a history.
type workload struct {
	rec *history.Recorder
	// store is the nodes' store: the drain runs until it holds no message
	// (nil: until the queues stay empty).
	store kv.Store
	// senders and receivers are the nodes producers and consumers call
	// (receivers also delete), at random.
	mu                 sync.RWMutex
	senders, receivers []*engine.Engine
	// visibility is the range of visibility timeouts receives ask for, in
	// whole seconds.
	visMin, visMax int
	seq            atomic.Int64
	// pace is each producer's pause after a send call. It bounds the
	// volume: unpaced, a quiet machine sent 18,741 messages in 4 s of
	// TestClockSkew, more than the drain's minute could take from the
	// FIFO queue on the mock store (reported as lost, yet stored).
	pace time.Duration
}

func newWorkload(store kv.Store, nodes ...*engine.Engine) *workload {
	return &workload{rec: history.NewRecorder(), store: store, senders: nodes, receivers: slices.Clone(nodes), visMin: 1, visMax: 2, pace: 10 * time.Millisecond}
}

// paced waits out w.pace after a send; false once stop is closed.
func (w *workload) paced(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return false
	case <-time.After(w.pace):
		return true
	}
}

// createQueues creates both queues through the first node, retrying
// through faults.
func (w *workload) createQueues(t *testing.T) {
	t.Helper()
	for _, q := range []struct {
		name  string
		attrs map[string]string
	}{
		{stdQ, nil},
		{fifoQ, map[string]string{queues.AttrFifoQueue: "true"}},
	} {
		deadline := time.Now().Add(30 * time.Second)
		for {
			ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
			_, err := w.senders[0].Catalog().Create(ctx, ref(q.name), q.attrs, nil)
			cancel()
			if err == nil || errors.Is(err, sqserr.ErrQueueAlreadyExists) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("create %s: %v", q.name, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

func (w *workload) sender() *engine.Engine {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.senders[rand.IntN(len(w.senders))]
}

func (w *workload) receiver() *engine.Engine {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.receivers[rand.IntN(len(w.receivers))]
}

// body carries the token and a payload derived from it, so a corrupt
// delivery is caught.
func body(token string) string {
	n := 16 + len(token)*3
	return token + "|" + strings.Repeat(token[len(token)-1:], n)
}

func tokenOf(b string) (string, bool) {
	tok, _, _ := strings.Cut(b, "|")
	return tok, b == body(tok)
}

// outcome: no error is OK; an SQS error the engine answers is the
// client's (it did nothing); anything else — a store error, a timeout —
// may have taken effect.
func outcome(err error) history.Outcome {
	var se *sqserr.Error
	switch {
	case err == nil:
		return history.OK
	case errors.As(err, &se):
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

// run runs the producers and consumers until stop is closed, then drains
// both queues with every fault off (the caller turns them off before
// closing stop) until nothing is left.
func (w *workload) run(t *testing.T, stop <-chan struct{}) {
	t.Helper()
	var wg sync.WaitGroup
	for p := range 2 {
		wg.Go(func() { w.produceStd(p, stop) })
	}
	wg.Go(func() { w.produceFIFO(0, stop) })
	for c := range 2 {
		wg.Go(func() { w.consume(fmt.Sprintf("std-c%d", c), stdQ, stop) })
		wg.Go(func() { w.consume(fmt.Sprintf("fifo-c%d", c), fifoQ, stop) })
	}
	wg.Wait()
	w.drain(t)
}

func (w *workload) produceStd(p int, stop <-chan struct{}) {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		n := 1
		if rand.IntN(3) == 0 {
			n = 2 + rand.IntN(4)
		}
		entries := make([]engine.SendInput, n)
		msgs := make([]history.Msg, n)
		for k := range entries {
			tok := fmt.Sprintf("std-p%d-%07d", p, w.seq.Add(1))
			entries[k] = engine.SendInput{Body: body(tok)}
			if rand.IntN(6) == 0 {
				entries[k].DelaySeconds = new(1)
			}
			msgs[k] = history.Msg{Token: tok}
		}
		w.send(fmt.Sprintf("std-p%d", p), stdQ, entries, msgs)
		if !w.paced(stop) {
			return
		}
	}
}

func (w *workload) produceFIFO(p int, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		n := 1 + rand.IntN(4)
		entries := make([]engine.SendInput, n)
		msgs := make([]history.Msg, n)
		for k := range entries {
			tok := fmt.Sprintf("fifo-p%d-%07d", p, w.seq.Add(1))
			group := fmt.Sprintf("g%d", rand.IntN(fifoGroups))
			entries[k] = engine.SendInput{Body: body(tok), MessageGroupID: new(group), DeduplicationID: new(tok)}
			msgs[k] = history.Msg{Token: tok, Group: group}
		}
		w.send(fmt.Sprintf("fifo-p%d", p), fifoQ, entries, msgs)
		if !w.paced(stop) {
			return
		}
	}
}

func (w *workload) send(client, queue string, entries []engine.SendInput, msgs []history.Msg) {
	e := w.sender()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	op := history.Op{Client: client, Kind: history.Send, Queue: queue, Invoke: w.rec.Now()}
	var err error
	if len(entries) == 1 {
		var res engine.SendResult
		res, err = e.SendMessage(ctx, ref(queue), entries[0])
		msgs[0].Outcome, msgs[0].MessageID = outcome(err), res.MessageID
	} else {
		var results []engine.BatchResult[engine.SendResult]
		results, err = e.SendMessageBatch(ctx, ref(queue), entries)
		for k := range msgs {
			switch {
			case err != nil:
				msgs[k].Outcome = outcome(err)
			case results[k].Err != nil:
				msgs[k].Outcome = outcome(results[k].Err)
			default:
				msgs[k].Outcome, msgs[k].MessageID = history.OK, results[k].Result.MessageID
			}
		}
	}
	op.Complete, op.Err, op.Msgs = w.rec.Now(), errText(err), msgs
	w.rec.Add(op)
	if err != nil {
		time.Sleep(10 * time.Millisecond) // a failing store is not hammered
	}
}

// receive records one receive; it returns what it got.
func (w *workload) receive(client, queue string, e *engine.Engine, max, vis, wait int) []engine.Message {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	op := history.Op{Client: client, Kind: history.Receive, Queue: queue, Invoke: w.rec.Now(), Visibility: time.Duration(vis) * time.Second}
	got, err := e.ReceiveMessage(ctx, ref(queue), engine.ReceiveInput{MaxNumberOfMessages: max, VisibilityTimeout: &vis, WaitTimeSeconds: &wait})
	op.Complete, op.Err = w.rec.Now(), errText(err)
	for _, m := range got {
		tok, intact := tokenOf(m.Body)
		op.Msgs = append(op.Msgs, history.Msg{Token: tok, Outcome: history.OK, MessageID: m.MessageID, Receipt: m.ReceiptHandle, Corrupt: !intact})
	}
	if err != nil || len(got) > 0 {
		w.rec.Add(op)
	}
	if err != nil {
		time.Sleep(10 * time.Millisecond)
	}
	return got
}

func (w *workload) delete(client, queue string, e *engine.Engine, got []engine.Message) {
	if len(got) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	op := history.Op{Client: client, Kind: history.Delete, Queue: queue, Invoke: w.rec.Now()}
	msgs := make([]history.Msg, len(got))
	for k, m := range got {
		tok, _ := tokenOf(m.Body)
		msgs[k] = history.Msg{Token: tok, MessageID: m.MessageID, Receipt: m.ReceiptHandle}
	}
	var err error
	if len(got) == 1 {
		err = e.DeleteMessage(ctx, ref(queue), got[0].ReceiptHandle)
		msgs[0].Outcome = outcome(err)
	} else {
		handles := make([]string, len(got))
		for k, m := range got {
			handles[k] = m.ReceiptHandle
		}
		var results []engine.BatchResult[struct{}]
		results, err = e.DeleteMessageBatch(ctx, ref(queue), handles)
		for k := range msgs {
			switch {
			case err != nil:
				msgs[k].Outcome = outcome(err)
			default:
				msgs[k].Outcome = outcome(results[k].Err)
			}
		}
	}
	op.Complete, op.Err, op.Msgs = w.rec.Now(), errText(err), msgs
	w.rec.Add(op)
}

func (w *workload) consume(client, queue string, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		e := w.receiver()
		vis := w.visMin + rand.IntN(w.visMax-w.visMin+1)
		got := w.receive(client, queue, e, 1+rand.IntN(10), vis, rand.IntN(2))
		var keep []engine.Message
		for _, m := range got {
			if rand.IntN(5) != 0 { // one in five is abandoned
				keep = append(keep, m)
			}
		}
		if rand.IntN(2) == 0 {
			w.delete(client, queue, e, keep)
		} else {
			for _, m := range keep {
				w.delete(client, queue, e, []engine.Message{m})
			}
		}
	}
}

// drain receives and deletes until both queues stayed empty past every
// delay and visibility timeout and the store holds no message, or a
// minute passes. Quiet alone is not enough: a claim whose commit outcome
// was unknown and did not happen leaves its messages locked on TiKV until
// the lock's TTL runs out, 10 s and more after the claim (client-go's
// ManagedLockTTL is 20 s), and then they are received again. A drain that
// stopped at 4 s of quiet reported six such messages lost (a claim whose
// primary commit was sent while TiKV was unreachable).
func (w *workload) drain(t *testing.T) {
	t.Helper()
	quiet := time.Duration(w.visMax+2) * time.Second
	deadline := time.Now().Add(time.Minute)
	var wg sync.WaitGroup
	for _, q := range []string{stdQ, fifoQ} {
		wg.Go(func() {
			lastGot := time.Now()
			for time.Now().Before(deadline) {
				if time.Since(lastGot) >= quiet {
					if w.store == nil {
						return
					}
					if n, err := storedMessages(w.store); err == nil && n == 0 {
						return
					}
					lastGot = lastGot.Add(time.Second) // look again in a second
				}
				e := w.receiver()
				got := w.receive("drain", q, e, 10, 30, 1)
				if len(got) > 0 {
					lastGot = time.Now()
					w.delete("drain", q, e, got)
				}
			}
		})
	}
	wg.Wait()
}

// storedMessages counts the message records in the store, of every queue.
func storedMessages(store kv.Store) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	n := 0
	err := store.View(ctx, func(r kv.Reader) error {
		kvs, err := r.Scan(ctx, queueKeys, kv.PrefixEnd(queueKeys), 0)
		n = 0
		for _, p := range kvs {
			if _, rest := splitQueueKey(p.Key); bytes.HasPrefix(rest, []byte("m/")) {
				n++
			}
		}
		return err
	})
	return n, err
}

// fault records a fault the test injected, from start to now.
func (w *workload) fault(start time.Duration, what string) {
	w.rec.Add(history.Op{Client: "nemesis", Kind: history.Fault, Invoke: start, Complete: w.rec.Now(), Err: what})
}

// check judges the history, keeping it where HistoryEnv says or, on
// failure, in a temporary file it names.
func (w *workload) check(t *testing.T, c history.Checker) history.Report {
	t.Helper()
	ops := w.rec.Ops()
	r := c.Check(ops)
	t.Logf("history: %s", r.Summary())
	keep := func(path string) {
		f, err := os.Create(path)
		if err != nil {
			t.Errorf("keep history: %v", err)
			return
		}
		defer f.Close()
		if err := history.WriteJSONLines(f, ops); err != nil {
			t.Errorf("keep history: %v", err)
		}
	}
	if dir := os.Getenv(HistoryEnv); dir != "" {
		keep(filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+".jsonl"))
	}
	if !r.OK() {
		f, err := os.CreateTemp("", "sluice-enginechaos-*.jsonl")
		if err == nil {
			f.Close()
			keep(f.Name())
			t.Logf("history kept in %s", f.Name())
		}
	}
	return r
}

// failOnAnomalies fails the test with the first anomalies of r.
func failOnAnomalies(t *testing.T, r history.Report) {
	t.Helper()
	for i, a := range r.Anomalies {
		if i == 20 {
			t.Errorf("… and %d more", len(r.Anomalies)-i)
			break
		}
		t.Errorf("%s", a)
	}
}
