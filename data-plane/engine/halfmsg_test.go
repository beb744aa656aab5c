package engine_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
	"github.com/sluice-mq/sluice/internal/signature"
)

func mustSendHalf(t testing.TB, e *engine.Engine, r queues.Ref, in engine.SendInput) engine.HalfResult {
	t.Helper()
	res, err := e.SendHalfMessage(ctx, r, in)
	if err != nil {
		t.Fatalf("send half: %v", err)
	}
	if res.TransactionID == "" || res.MessageID == "" {
		t.Fatalf("send half answered %+v", res)
	}
	return res
}

func mustEnd(t testing.TB, e *engine.Engine, r queues.Ref, txID string, d engine.Decision) {
	t.Helper()
	if err := e.EndTransaction(ctx, r, txID, d); err != nil {
		t.Fatalf("%s %s: %v", d, txID, err)
	}
}

func halfCount(t testing.TB, e *engine.Engine, r queues.Ref) int {
	t.Helper()
	a, err := e.GetQueueAttributes(ctx, r, []string{"All"})
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(a[queues.AttrApproximateNumberOfMessages])
	nv, _ := strconv.Atoi(a[queues.AttrApproximateNumberOfMessagesNotVisible])
	nd, _ := strconv.Atoi(a[queues.AttrApproximateNumberOfMessagesDelayed])
	return n + nv + nd
}

func halfBodies(msgs []engine.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Body
	}
	return out
}

func TestHalfMessageCommit(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, clock *fakeClock) {
		q := mustCreate(t, e, "half", nil)
		h := mustSendHalf(t, e, q, engine.SendInput{Body: "order-1"})
		if got := receive(t, e, q, 10); len(got) != 0 {
			t.Fatalf("half message received before commit: %v", halfBodies(got))
		}
		if n := halfCount(t, e, q); n != 0 {
			t.Fatalf("counts show %d messages before commit", n)
		}
		mustEnd(t, e, q, h.TransactionID, engine.Commit)
		mustEnd(t, e, q, h.TransactionID, engine.Commit) // idempotent
		if n := halfCount(t, e, q); n != 1 {
			t.Fatalf("counts show %d messages after commit, want 1", n)
		}
		got := receive(t, e, q, 10)
		if len(got) != 1 || got[0].Body != "order-1" || got[0].MessageID != h.MessageID {
			t.Fatalf("after commit received %+v", got)
		}
		if err := e.DeleteMessage(ctx, q, got[0].ReceiptHandle); err != nil {
			t.Fatal(err)
		}
		// Still committed once its message is gone; rollback is refused.
		mustEnd(t, e, q, h.TransactionID, engine.Commit)
		wantCode(t, e.EndTransaction(ctx, q, h.TransactionID, engine.Rollback), engine.CodeTransactionAlreadyCommitted)
		clock.AdvanceSeconds(60)
		if got := receive(t, e, q, 10); len(got) != 0 {
			t.Fatalf("delivered twice: %v", halfBodies(got))
		}
	})
}

func TestHalfMessageRollback(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, clock *fakeClock) {
		q := mustCreate(t, e, "half", nil)
		h := mustSendHalf(t, e, q, engine.SendInput{Body: "never", DelaySeconds: intp(0)})
		mustSend(t, e, q, "plain")
		mustEnd(t, e, q, h.TransactionID, engine.Rollback)
		mustEnd(t, e, q, h.TransactionID, engine.Rollback) // idempotent
		wantCode(t, e.EndTransaction(ctx, q, h.TransactionID, engine.Commit), engine.CodeTransactionRolledBack)
		got := receive(t, e, q, 10)
		if len(got) != 1 || got[0].Body != "plain" {
			t.Fatalf("received %v, want only the plain message", halfBodies(got))
		}
		if n := halfCount(t, e, q); n != 1 {
			t.Fatalf("counts show %d messages, want 1", n)
		}
		wantCode(t, e.EndTransaction(ctx, q, "not-an-id", engine.Commit), engine.CodeInvalidTransactionID)
		wantCode(t, e.EndTransaction(ctx, q, "0196c0de-0000-7000-8000-000000000000", engine.Commit), engine.CodeTransactionNotFound)
		other := mustCreate(t, e, "other", nil)
		// A transaction is its queue's: another queue does not know it.
		wantCode(t, e.EndTransaction(ctx, other, h.TransactionID, engine.Rollback), engine.CodeTransactionNotFound)
	})
}

func TestHalfMessageDelayAppliesFromCommit(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, clock *fakeClock) {
		q := mustCreate(t, e, "half", nil)
		h := mustSendHalf(t, e, q, engine.SendInput{Body: "later", DelaySeconds: intp(5)})
		clock.AdvanceSeconds(10)
		mustEnd(t, e, q, h.TransactionID, engine.Commit)
		if got := receive(t, e, q, 10); len(got) != 0 {
			t.Fatalf("received during its delay: %v", halfBodies(got))
		}
		clock.AdvanceSeconds(5)
		if got := receive(t, e, q, 10); len(got) != 1 {
			t.Fatalf("received %d after the delay, want 1", len(got))
		}
	})
}

func TestHalfMessageFIFOHoldsItsGroup(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, clock *fakeClock) {
		q := mustCreate(t, e, "half.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
		g, other := "g1", "g2"
		send := func(body, group string) {
			if _, err := e.SendMessage(ctx, q, engine.SendInput{Body: body, MessageGroupID: &group}); err != nil {
				t.Fatal(err)
			}
		}
		send("a", g)
		h := mustSendHalf(t, e, q, engine.SendInput{Body: "half", MessageGroupID: &g})
		send("b", g)
		send("c", g)
		send("x", other)
		got := receive(t, e, q, 10)
		if b := halfBodies(got); len(b) != 2 || !(b[0] == "a" && b[1] == "x" || b[0] == "x" && b[1] == "a") {
			t.Fatalf("received %v, want a and x: the half message holds g1 after a", b)
		}
		for _, m := range got {
			if err := e.DeleteMessage(ctx, q, m.ReceiptHandle); err != nil {
				t.Fatal(err)
			}
		}
		if got := receive(t, e, q, 10); len(got) != 0 {
			t.Fatalf("received %v while the half message heads g1", halfBodies(got))
		}
		a, err := e.GetQueueAttributes(ctx, q, []string{"All"})
		if err != nil {
			t.Fatal(err)
		}
		if a[queues.AttrApproximateNumberOfMessages] != "2" || a[queues.AttrApproximateNumberOfMessagesDelayed] != "0" {
			t.Fatalf("counts %v while the half message heads g1: want b and c visible, none delayed", a)
		}
		clock.AdvanceSeconds(1)
		mustEnd(t, e, q, h.TransactionID, engine.Commit)
		got = receive(t, e, q, 10)
		if b := halfBodies(got); len(b) != 3 || b[0] != "half" || b[1] != "b" || b[2] != "c" {
			t.Fatalf("after commit received %v, want [half b c]", b)
		}
	})
}

func TestHalfMessageFIFORollbackFreesGroupAndDedup(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, clock *fakeClock) {
		q := mustCreate(t, e, "half.fifo", map[string]string{"FifoQueue": "true"})
		g, dedup := "g1", "d1"
		h := mustSendHalf(t, e, q, engine.SendInput{Body: "half", MessageGroupID: &g, DeduplicationID: &dedup})
		dup := mustSendHalf(t, e, q, engine.SendInput{Body: "half", MessageGroupID: &g, DeduplicationID: &dedup})
		if dup.MessageID != h.MessageID {
			t.Fatalf("a deduplicated half send answered %s, want %s", dup.MessageID, h.MessageID)
		}
		b := "b"
		if _, err := e.SendMessage(ctx, q, engine.SendInput{Body: "b", MessageGroupID: &g, DeduplicationID: &b}); err != nil {
			t.Fatal(err)
		}
		if got := receive(t, e, q, 10); len(got) != 0 {
			t.Fatalf("received %v behind an undecided half message", halfBodies(got))
		}
		mustEnd(t, e, q, h.TransactionID, engine.Rollback)
		got := receive(t, e, q, 10)
		if bs := halfBodies(got); len(bs) != 1 || bs[0] != "b" {
			t.Fatalf("after rollback received %v, want [b]", bs)
		}
		// The rolled-back message's deduplication id is free again.
		again, err := e.SendMessage(ctx, q, engine.SendInput{Body: "half", MessageGroupID: &g, DeduplicationID: &dedup})
		if err != nil || again.MessageID == h.MessageID {
			t.Fatalf("resend after rollback: %+v, %v", again, err)
		}
	})
}

func TestHalfMessageInvisibleToMoveTasks(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, clock *fakeClock) {
		dlq := mustCreate(t, e, "dlq", nil)
		h := mustSendHalf(t, e, dlq, engine.SendInput{Body: "half"})
		mustSend(t, e, dlq, "plain")
		src := mustCreate(t, e, "src", map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"` + dlq.ARN() + `","maxReceiveCount":1}`})
		if _, err := e.StartMessageMoveTask(ctx, dlq, &src, 0); err != nil {
			t.Fatal(err)
		}
		if task := waitStatus(t, e, dlq, engine.MoveTaskCompleted); task.ApproximateNumberOfMessagesMoved != 1 {
			t.Fatalf("task %+v, want 1 moved", task)
		}
		got := receive(t, e, src, 10)
		if b := halfBodies(got); len(b) != 1 || b[0] != "plain" {
			t.Fatalf("the move task moved %v, want only [plain]", b)
		}
		mustEnd(t, e, dlq, h.TransactionID, engine.Commit)
		if got := receive(t, e, dlq, 10); len(got) != 1 || got[0].Body != "half" {
			t.Fatalf("after commit the source holds %v", halfBodies(got))
		}
	})
}

// checkBackServer answers check-backs with answer(), recording each
// request after checking its signature.
type checkBackServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests []engine.CheckBackRequest
	badSig   atomic.Int32
}

func newCheckBackServer(t *testing.T, secret string, now func() time.Time, answer func(engine.CheckBackRequest) (int, string)) *checkBackServer {
	s := &checkBackServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if signature.Verify(secret, r.Header.Get(signature.Header), body, now(), 5*time.Minute) != nil {
			s.badSig.Add(1)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var req engine.CheckBackRequest
		if err := json.Unmarshal(body, &req); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.requests = append(s.requests, req)
		s.mu.Unlock()
		status, decision := answer(req)
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(engine.CheckBackAnswer{Decision: decision})
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *checkBackServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

func txnPolicy(url, onExhausted string) string {
	b, _ := json.Marshal(queues.TransactionPolicy{CheckBackURL: url, CheckBackSecret: "s3cret", TimeoutSeconds: 5, MaxCheckBacks: 3, OnExhausted: onExhausted})
	return string(b)
}

func TestHalfMessageCheckBackCommitAndRollback(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, clock *fakeClock) {
		srv := newCheckBackServer(t, "s3cret", clock.Now, func(r engine.CheckBackRequest) (int, string) {
			return http.StatusOK, map[string]string{"yes": "commit", "no": "rollback"}[r.Body]
		})
		q := mustCreate(t, e, "half", map[string]string{queues.AttrTransactionPolicy: txnPolicy(srv.URL, "")})
		yes := mustSendHalf(t, e, q, engine.SendInput{Body: "yes"})
		no := mustSendHalf(t, e, q, engine.SendInput{Body: "no"})
		if err := e.CheckBack(ctx); err != nil || srv.count() != 0 {
			t.Fatalf("check-back before the timeout: %d requests, %v", srv.count(), err)
		}
		clock.AdvanceSeconds(6)
		if err := e.CheckBack(ctx); err != nil {
			t.Fatal(err)
		}
		if srv.count() != 2 || srv.badSig.Load() != 0 {
			t.Fatalf("%d check-backs (%d badly signed), want 2", srv.count(), srv.badSig.Load())
		}
		got := receive(t, e, q, 10)
		if b := halfBodies(got); len(b) != 1 || b[0] != "yes" {
			t.Fatalf("received %v after check-back, want [yes]", b)
		}
		wantCode(t, e.EndTransaction(ctx, q, no.TransactionID, engine.Commit), engine.CodeTransactionRolledBack)
		mustEnd(t, e, q, yes.TransactionID, engine.Commit)
		// Decided messages are not asked about again.
		clock.AdvanceSeconds(60)
		if err := e.CheckBack(ctx); err != nil || srv.count() != 2 {
			t.Fatalf("%d check-backs after the decisions, %v", srv.count(), err)
		}
		// Decisions are forgotten after an hour.
		clock.AdvanceSeconds(3600)
		if err := e.CheckBack(ctx); err != nil {
			t.Fatal(err)
		}
		wantCode(t, e.EndTransaction(ctx, q, no.TransactionID, engine.Commit), engine.CodeTransactionNotFound)
	})
}

func TestHalfMessageCheckBackExhausted(t *testing.T) {
	for _, tc := range []struct {
		name, onExhausted string
		dlq               bool
	}{{"rollback", "rollback", false}, {"dead-letter", "deadLetter", true}} {
		t.Run(tc.name, func(t *testing.T) {
			forEachDriver(t, func(t *testing.T, e *engine.Engine, clock *fakeClock) {
				srv := newCheckBackServer(t, "s3cret", clock.Now, func(r engine.CheckBackRequest) (int, string) {
					if r.Attempt == 1 {
						return http.StatusOK, "unknown"
					}
					return http.StatusServiceUnavailable, ""
				})
				dlq := mustCreate(t, e, "dlq", nil)
				q := mustCreate(t, e, "half", map[string]string{
					queues.AttrTransactionPolicy: txnPolicy(srv.URL, tc.onExhausted),
					"RedrivePolicy":              `{"deadLetterTargetArn":"` + dlq.ARN() + `","maxReceiveCount":3}`,
				})
				h := mustSendHalf(t, e, q, engine.SendInput{Body: "undecided"})
				// Attempts at 5 s, then after 5 s of backoff; the producer
				// may still decide.
				for i, wait := range []int{5, 5} {
					clock.AdvanceSeconds(wait)
					if err := e.CheckBack(ctx); err != nil {
						t.Fatal(err)
					}
					if srv.count() != i+1 {
						t.Fatalf("after %d s: %d check-backs, want %d", wait, srv.count(), i+1)
					}
				}
				err := e.EndTransaction(ctx, q, h.TransactionID, engine.Commit)
				if err != nil {
					t.Fatalf("commit after two undecided check-backs: %v", err)
				}
				// The third undecided one (5 s, then 5 s and 10 s of
				// backoff) ends it.
				h = mustSendHalf(t, e, q, engine.SendInput{Body: "undecided"})
				for _, wait := range []int{5, 5, 10, 20} {
					clock.AdvanceSeconds(wait)
					if err := e.CheckBack(ctx); err != nil {
						t.Fatal(err)
					}
				}
				if srv.count() != 5 {
					t.Fatalf("%d check-backs, want 2 + 3", srv.count())
				}
				err = e.EndTransaction(ctx, q, h.TransactionID, engine.Commit)
				dead := receive(t, e, dlq, 10)
				if tc.dlq {
					wantCode(t, err, engine.CodeTransactionDeadLettered)
					if len(dead) != 1 || dead[0].Body != "undecided" || dead[0].MessageID != h.MessageID {
						t.Fatalf("dead-letter queue holds %v", halfBodies(dead))
					}
					if dead[0].Attributes["DeadLetterQueueSourceArn"] != q.ARN() {
						t.Fatalf("dead-lettered message attributes %v", dead[0].Attributes)
					}
				} else {
					wantCode(t, err, engine.CodeTransactionRolledBack)
					if len(dead) != 0 {
						t.Fatalf("dead-letter queue holds %v", halfBodies(dead))
					}
				}
				if got := receive(t, e, q, 10); len(got) != 1 || got[0].Body != "undecided" {
					t.Fatalf("source holds %v, want only the first (committed) message", halfBodies(got))
				}
			})
		})
	}
}

func TestHalfMessageWithoutEndpointRollsBackAtTimeout(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, clock *fakeClock) {
		q := mustCreate(t, e, "half", map[string]string{queues.AttrTransactionPolicy: `{"timeoutSeconds":2}`})
		h := mustSendHalf(t, e, q, engine.SendInput{Body: "x"})
		clock.AdvanceSeconds(3)
		if err := e.CheckBack(ctx); err != nil {
			t.Fatal(err)
		}
		wantCode(t, e.EndTransaction(ctx, q, h.TransactionID, engine.Commit), engine.CodeTransactionRolledBack)
	})
}

// BenchmarkTransactionalSend compares a half send plus its commit with a
// plain send, batch 1, on the durable local store: compare the two
// sub-benchmarks' msgs/s from the same run.
func BenchmarkTransactionalSend(b *testing.B) {
	for _, workers := range []int{1, 8} {
		b.Run(fmt.Sprintf("plain/goroutines=%d", workers), func(b *testing.B) {
			e := benchEngine(b)
			q := mustCreate(b, e, "q", nil)
			in := engine.SendInput{Body: benchBody}
			kvtest.RunSplit(b, workers, 1, "msgs/s", func(int, int) error {
				_, err := e.SendMessage(ctx, q, in)
				return err
			})
		})
		b.Run(fmt.Sprintf("half+commit/goroutines=%d", workers), func(b *testing.B) {
			e := benchEngine(b)
			q := mustCreate(b, e, "q", nil)
			in := engine.SendInput{Body: benchBody}
			kvtest.RunSplit(b, workers, 1, "msgs/s", func(int, int) error {
				h, err := e.SendHalfMessage(ctx, q, in)
				if err != nil {
					return err
				}
				return e.EndTransaction(ctx, q, h.TransactionID, engine.Commit)
			})
		})
	}
}

// Two nodes checking back at once ask about each message once: the claim
// keeps the second off while the first's request is out.
func TestHalfMessageCheckBackOneNodeAtATime(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		clock := newFakeClock()
		e1, e2 := newEngine(t, store, clock.Now), newEngine(t, store, clock.Now)
		var perMessage sync.Map
		srv := newCheckBackServer(t, "s3cret", clock.Now, func(r engine.CheckBackRequest) (int, string) {
			n, _ := perMessage.LoadOrStore(r.TransactionID, new(atomic.Int32))
			n.(*atomic.Int32).Add(1)
			time.Sleep(20 * time.Millisecond) // both nodes' rounds overlap
			return http.StatusOK, "commit"
		})
		q := mustCreate(t, e1, "half", map[string]string{queues.AttrTransactionPolicy: txnPolicy(srv.URL, "")})
		const n = 12
		for i := range n {
			mustSendHalf(t, e1, q, engine.SendInput{Body: fmt.Sprint("m", i)})
		}
		clock.AdvanceSeconds(6)
		var wg sync.WaitGroup
		for _, e := range []*engine.Engine{e1, e2} {
			wg.Go(func() {
				if err := e.CheckBack(ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if srv.count() != n {
			t.Fatalf("%d check-backs for %d messages", srv.count(), n)
		}
		perMessage.Range(func(k, v any) bool {
			if c := v.(*atomic.Int32).Load(); c != 1 {
				t.Errorf("%s checked back %d times", k, c)
			}
			return true
		})
		if got := receive(t, e2, q, 10); len(got) != 10 {
			t.Fatalf("received %d of the committed messages, want 10 (of %d)", len(got), n)
		}
	})
}

// Decisions are settled a page at a time, not one check-back claim each:
// one round moves more than a page of them, and another forgets them.
func TestHalfMessageDecisionsForgottenInPages(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, clock *fakeClock) {
		q := mustCreate(t, e, "half", map[string]string{queues.AttrTransactionPolicy: `{"timeoutSeconds":1}`})
		const n = 300
		ids := make([]string, n)
		for i := range n {
			ids[i] = mustSendHalf(t, e, q, engine.SendInput{Body: "x"}).TransactionID
			d := engine.Commit
			if i%2 == 1 {
				d = engine.Rollback
			}
			mustEnd(t, e, q, ids[i], d)
		}
		clock.AdvanceSeconds(2)
		if err := e.CheckBack(ctx); err != nil {
			t.Fatal(err)
		}
		mustEnd(t, e, q, ids[n-1], engine.Rollback) // still remembered
		clock.AdvanceSeconds(3600)
		if err := e.CheckBack(ctx); err != nil {
			t.Fatal(err)
		}
		// Forgotten: a rolled-back transaction is unknown now; a committed
		// one whose message is still queued still reads as committed.
		for _, i := range []int{1, n/2 + 1, n - 1} {
			wantCode(t, e.EndTransaction(ctx, q, ids[i], engine.Rollback), engine.CodeTransactionNotFound)
		}
		mustEnd(t, e, q, ids[0], engine.Commit)
		if got := receive(t, e, q, 10); len(got) != 10 {
			t.Fatalf("received %d committed messages, want 10 of %d", len(got), n/2)
		}
	})
}

// The retention sweep drops a FIFO group's expired messages up to a half
// message and leaves it: its check-back decides it, not the sweeper.
func TestHalfMessageFIFOSweepStopsAtHalf(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, clock *fakeClock) {
		q := mustCreate(t, e, "half.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true", "MessageRetentionPeriod": "60"})
		g := "g"
		if _, err := e.SendMessage(ctx, q, engine.SendInput{Body: "old", MessageGroupID: &g}); err != nil {
			t.Fatal(err)
		}
		h := mustSendHalf(t, e, q, engine.SendInput{Body: "half", MessageGroupID: &g})
		clock.AdvanceSeconds(61)
		if err := e.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if err := e.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		mustEnd(t, e, q, h.TransactionID, engine.Commit)
		if got := receive(t, e, q, 10); len(got) != 1 || got[0].Body != "half" {
			t.Fatalf("received %v, want [half]: the old message expired, the half one committed", halfBodies(got))
		}
	})
}
