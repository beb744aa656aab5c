package engine_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/msgattr"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

var (
	moveAttrs = msgattr.Attributes{
		"colour": {DataType: "String", StringValue: "blue"},
		"raw":    {DataType: "Binary", BinaryValue: []byte{0, 1, 2}},
	}
	moveTrace = "Root=1-5759e988-bd862e3fe1be46a994272793"
)

// createRedrive creates the dead-letter queue dlq and source queues that
// dead-letter a message at its second receive.
func createRedrive(t testing.TB, e *engine.Engine, sources ...string) (queues.Ref, []queues.Ref) {
	t.Helper()
	dlq := mustCreate(t, e, "dlq", nil)
	policy := fmt.Sprintf(`{"deadLetterTargetArn":"%s","maxReceiveCount":1}`, dlq.ARN())
	var refs []queues.Ref
	for _, name := range sources {
		refs = append(refs, mustCreate(t, e, name, map[string]string{queues.AttrRedrivePolicy: policy}))
	}
	return dlq, refs
}

// deadLetter sends the bodies to src and receives until the engine has
// moved every one to the dead-letter queue.
func deadLetter(t testing.TB, e *engine.Engine, src queues.Ref, bodies []string) map[string]engine.SendResult {
	t.Helper()
	sent := map[string]engine.SendResult{}
	for _, b := range bodies {
		res, err := e.SendMessage(ctx, src, engine.SendInput{Body: b, Attributes: moveAttrs,
			SystemAttributes: msgattr.Attributes{engine.SysAWSTraceHeader: {DataType: "String", StringValue: moveTrace}}})
		if err != nil {
			t.Fatal(err)
		}
		sent[b] = res
	}
	for range 50 {
		msgs, err := e.ReceiveMessage(ctx, src, engine.ReceiveInput{MaxNumberOfMessages: 10, VisibilityTimeout: intp(0), WaitTimeSeconds: intp(0)})
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 0 {
			return sent
		}
	}
	t.Fatal("messages never reached the dead-letter queue")
	return nil
}

func bodies(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%02d", prefix, i)
	}
	return out
}

// drain receives every visible message of q (they stay in flight).
func drain(t testing.TB, e *engine.Engine, q queues.Ref) []engine.Message {
	t.Helper()
	var all []engine.Message
	for {
		msgs := receive(t, e, q, 10)
		if len(msgs) == 0 {
			return all
		}
		all = append(all, msgs...)
	}
}

// countBodies adds each message's body to seen, failing on a body seen
// before: a message moved twice.
func countBodies(t testing.TB, seen map[string]int, msgs []engine.Message) {
	t.Helper()
	for _, m := range msgs {
		seen[m.Body]++
		if seen[m.Body] > 1 {
			t.Errorf("message %q delivered %d times", m.Body, seen[m.Body])
		}
	}
}

func wantAllOnce(t testing.TB, seen map[string]int, want []string) {
	t.Helper()
	for _, b := range want {
		if seen[b] != 1 {
			t.Errorf("message %q seen %d times, want once", b, seen[b])
		}
	}
	if len(seen) != len(want) {
		t.Errorf("saw %d distinct messages, want %d", len(seen), len(want))
	}
}

func latestTask(t testing.TB, e *engine.Engine, source queues.Ref) engine.MoveTask {
	t.Helper()
	tasks, err := e.ListMessageMoveTasks(ctx, source, 1)
	if err != nil || len(tasks) != 1 {
		t.Fatalf("list move tasks: %v %v", tasks, err)
	}
	return tasks[0]
}

// waitTask polls the source's latest task until done says so.
func waitTask(t testing.TB, e *engine.Engine, source queues.Ref, what string, done func(engine.MoveTask) bool) engine.MoveTask {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		task := latestTask(t, e, source)
		if done(task) {
			return task
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: task %+v", what, task)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitUntil polls cond until it holds, failing the test after 10 s.
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10 s for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// gatedStore is one node's handle on a shared store whose write
// transactions the test can hold back, as a stalled node's would be (a
// long pause, a slow disk): a runner on it cannot renew its lease, so
// another node's takeover does not depend on who wins a race.
type gatedStore struct {
	kv.Store
	gate sync.RWMutex // read-held by each Update, write-held while held

	mu   sync.Mutex
	held bool
}

func (g *gatedStore) Update(ctx context.Context, fn func(tx kv.Txn) error) error {
	g.gate.RLock()
	defer g.gate.RUnlock()
	return g.Store.Update(ctx, fn)
}

// hold waits for the node's transactions in flight and blocks new ones
// until release.
func (g *gatedStore) hold() {
	g.gate.Lock()
	g.mu.Lock()
	g.held = true
	g.mu.Unlock()
}

func (g *gatedStore) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.held {
		g.held = false
		g.gate.Unlock()
	}
}

// newGatedEngine is a node on store whose writes the test can hold.
func newGatedEngine(t testing.TB, store kv.Store, clock func() time.Time) (*engine.Engine, *gatedStore) {
	t.Helper()
	g := &gatedStore{Store: store}
	e := newEngine(t, g, clock)
	t.Cleanup(g.release) // before the engine's Close, which waits for its runners
	return e, g
}

func waitStatus(t testing.TB, e *engine.Engine, source queues.Ref, status string) engine.MoveTask {
	t.Helper()
	return waitTask(t, e, source, status, func(m engine.MoveTask) bool { return m.Status == status })
}

func waitMoved(t testing.TB, e *engine.Engine, source queues.Ref, n int64) engine.MoveTask {
	t.Helper()
	return waitTask(t, e, source, fmt.Sprintf("%d moved", n), func(m engine.MoveTask) bool { return m.ApproximateNumberOfMessagesMoved >= n })
}

func visibleCount(t testing.TB, e *engine.Engine, q queues.Ref) string {
	t.Helper()
	a, err := e.GetQueueAttributes(ctx, q, []string{queues.AttrApproximateNumberOfMessages})
	if err != nil {
		t.Fatal(err)
	}
	return a[queues.AttrApproximateNumberOfMessages]
}

// Without a destination each message goes back to the queue it was
// dead-lettered from, as a new message with its body and attributes.
func TestMoveTaskRedrivesToOriginalSources(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, clock *fakeClock) {
		dlq, srcs := createRedrive(t, e, "src1", "src2")
		sent1 := deadLetter(t, e, srcs[0], bodies("one", 5))
		sent2 := deadLetter(t, e, srcs[1], bodies("two", 4))
		if got := visibleCount(t, e, dlq); got != "9" {
			t.Fatalf("dead-letter queue holds %s messages, want 9", got)
		}
		clock.AdvanceSeconds(60)
		movedAt := clock.Now().UnixMilli()
		handle, err := e.StartMessageMoveTask(ctx, dlq, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		task := waitStatus(t, e, dlq, engine.MoveTaskCompleted)
		want := engine.MoveTask{Status: engine.MoveTaskCompleted, SourceArn: dlq.ARN(),
			ApproximateNumberOfMessagesMoved: 9, ApproximateNumberOfMessagesToMove: 9, StartedTimestamp: movedAt}
		if task != want {
			t.Fatalf("task %+v, want %+v", task, want)
		}
		for q, n := range map[queues.Ref]string{dlq: "0", srcs[0]: "5", srcs[1]: "4"} {
			if got := visibleCount(t, e, q); got != n {
				t.Errorf("%s holds %s messages, want %s", q.Name, got, n)
			}
		}
		for i, sent := range []map[string]engine.SendResult{sent1, sent2} {
			msgs := drain(t, e, srcs[i])
			if len(msgs) != len(sent) {
				t.Fatalf("%s got %d messages back, want %d", srcs[i].Name, len(msgs), len(sent))
			}
			for _, m := range msgs {
				orig, ok := sent[m.Body]
				switch {
				case !ok:
					t.Errorf("%s got %q, sent to another queue", srcs[i].Name, m.Body)
				case m.MessageID == orig.MessageID:
					t.Errorf("%q kept its message id", m.Body)
				case m.MD5OfBody != orig.MD5OfMessageBody || m.MD5OfMessageAttributes != orig.MD5OfMessageAttributes ||
					m.MessageAttributes["colour"].StringValue != "blue" || len(m.MessageAttributes) != 2:
					t.Errorf("%q changed: %+v", m.Body, m)
				case m.Attributes[engine.SysApproximateReceiveCount] != "1" || m.Attributes[engine.SysAWSTraceHeader] != moveTrace ||
					m.Attributes[engine.SysSentTimestamp] != fmt.Sprint(movedAt) || m.Attributes[engine.SysDeadLetterQueueSourceArn] != "":
					t.Errorf("%q system attributes %v", m.Body, m.Attributes)
				}
			}
		}
		if got := drain(t, e, dlq); len(got) != 0 {
			t.Fatalf("dead-letter queue still has %d messages", len(got))
		}
		_, err = e.CancelMessageMoveTask(ctx, dlq.Account, dlq.Region, handle)
		wantCode(t, err, sqserr.CodeUnsupportedOperation)
	})
}

// With a destination every message goes there, at most at the rate given.
func TestMoveTaskToDestinationAtRate(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, _ *fakeClock) {
		dlq, srcs := createRedrive(t, e, "src")
		dest := mustCreate(t, e, "dest", nil)
		want := bodies("m", 20)
		deadLetter(t, e, srcs[0], want)
		began := time.Now()
		handle, err := e.StartMessageMoveTask(ctx, dlq, &dest, 10)
		if err != nil {
			t.Fatal(err)
		}
		running := latestTask(t, e, dlq)
		if running.Status != engine.MoveTaskRunning || running.TaskHandle != handle || running.DestinationArn != dest.ARN() ||
			running.MaxNumberOfMessagesPerSecond != 10 || running.ApproximateNumberOfMessagesToMove != 20 {
			t.Fatalf("running task %+v", running)
		}
		done := waitStatus(t, e, dlq, engine.MoveTaskCompleted)
		took := time.Since(began)
		if took < 1500*time.Millisecond {
			t.Errorf("20 messages at 10/s moved in %v", took)
		}
		t.Logf("20 messages at 10/s moved in %v", took)
		if done.ApproximateNumberOfMessagesMoved != 20 || done.TaskHandle != "" {
			t.Fatalf("finished task %+v", done)
		}
		seen := map[string]int{}
		countBodies(t, seen, drain(t, e, dest))
		wantAllOnce(t, seen, want)
		if got := drain(t, e, srcs[0]); len(got) != 0 {
			t.Fatalf("original source got %d messages", len(got))
		}
	})
}

func TestMoveTaskErrors(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, _ *fakeClock) {
		dlq, srcs := createRedrive(t, e, "src")
		dest := mustCreate(t, e, "dest", nil)
		plain := mustCreate(t, e, "plain", nil)
		deadLetter(t, e, srcs[0], bodies("m", 20))
		foreign := queues.Ref{Account: "999988887777", Region: dlq.Region, Name: "dest"}
		missing := ref("missing")

		_, err := e.StartMessageMoveTask(ctx, plain, nil, 0)
		wantCode(t, err, sqserr.CodeInvalidParameterValue) // not a dead-letter queue
		_, err = e.StartMessageMoveTask(ctx, missing, nil, 0)
		wantCode(t, err, sqserr.CodeResourceNotFound)
		for _, d := range []queues.Ref{missing, foreign} {
			_, err = e.StartMessageMoveTask(ctx, dlq, &d, 0)
			wantCode(t, err, sqserr.CodeResourceNotFound)
		}
		for _, rate := range []int{-1, 501} {
			_, err = e.StartMessageMoveTask(ctx, dlq, &dest, rate)
			wantCode(t, err, sqserr.CodeInvalidParameterValue)
		}
		for _, n := range []int{-1, 11} {
			_, err = e.ListMessageMoveTasks(ctx, dlq, n)
			wantCode(t, err, sqserr.CodeInvalidParameterValue)
		}
		_, err = e.ListMessageMoveTasks(ctx, missing, 1)
		wantCode(t, err, sqserr.CodeResourceNotFound)

		handle, err := e.StartMessageMoveTask(ctx, dlq, &dest, 1)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.StartMessageMoveTask(ctx, dlq, nil, 0)
		wantCode(t, err, sqserr.CodeInvalidParameterValue) // one active task per queue

		handleOf := func(taskID, arn string) string {
			return base64.StdEncoding.EncodeToString(fmt.Appendf(nil, `{"taskId":%q,"sourceArn":%q}`, taskID, arn))
		}
		for _, h := range []string{"foobared", "", base64.StdEncoding.EncodeToString([]byte("{}")), handleOf("nope", dlq.ARN()), handleOf("10f57157-fc38-4da9-a113-4de7e12d05aa", "nope")} {
			_, err = e.CancelMessageMoveTask(ctx, dlq.Account, dlq.Region, h)
			wantCode(t, err, sqserr.CodeInvalidParameterValue)
		}
		for _, h := range []string{handleOf("10f57157-fc38-4da9-a113-4de7e12d05aa", dlq.ARN()), handleOf("10f57157-fc38-4da9-a113-4de7e12d05aa", missing.ARN())} {
			_, err = e.CancelMessageMoveTask(ctx, dlq.Account, dlq.Region, h)
			wantCode(t, err, sqserr.CodeResourceNotFound)
		}
		// Another tenant holding the handle learns nothing and stops nothing.
		_, err = e.CancelMessageMoveTask(ctx, foreign.Account, foreign.Region, handle)
		wantCode(t, err, sqserr.CodeResourceNotFound)
		_, err = e.CancelMessageMoveTask(ctx, dlq.Account, "eu-west-1", handle)
		wantCode(t, err, sqserr.CodeResourceNotFound)
		if task := latestTask(t, e, dlq); task.Status != engine.MoveTaskRunning {
			t.Fatalf("task %+v after a foreign cancel", task)
		}

		if _, err := e.CancelMessageMoveTask(ctx, dlq.Account, dlq.Region, handle); err != nil {
			t.Fatal(err)
		}
		waitStatus(t, e, dlq, engine.MoveTaskCancelled)
		_, err = e.CancelMessageMoveTask(ctx, dlq.Account, dlq.Region, handle)
		wantCode(t, err, sqserr.CodeUnsupportedOperation)
		// The cancelled task no longer blocks a new one.
		if _, err := e.StartMessageMoveTask(ctx, dlq, &dest, 0); err != nil {
			t.Fatal(err)
		}
		waitStatus(t, e, dlq, engine.MoveTaskCompleted)
	})
}

// A queue keeps its last ten tasks, most recent first.
func TestMoveTaskHistory(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, clock *fakeClock) {
		dlq, _ := createRedrive(t, e, "src")
		// Pairs of tasks start in the same millisecond: the second is
		// stamped a millisecond later, so the order stays certain.
		var starts []int64
		for i := range 12 {
			if i%2 == 0 {
				clock.Advance(10 * time.Millisecond)
			}
			started := clock.Now().UnixMilli()
			if i%2 == 1 {
				started = starts[i-1] + 1
			}
			starts = append(starts, started)
			if _, err := e.StartMessageMoveTask(ctx, dlq, nil, 0); err != nil {
				t.Fatal(err)
			}
			waitStatus(t, e, dlq, engine.MoveTaskCompleted) // an empty queue: done at once
		}
		tasks, err := e.ListMessageMoveTasks(ctx, dlq, 10)
		if err != nil || len(tasks) != 10 {
			t.Fatalf("listed %d tasks (%v)", len(tasks), err)
		}
		for i, task := range tasks {
			if want := starts[len(starts)-1-i]; task.StartedTimestamp != want {
				t.Errorf("task %d started %d, want %d", i, task.StartedTimestamp, want)
			}
		}
		if n := e.StoredMoveTasks(ctx, dlq); n != 10 {
			t.Errorf("%d task records stored, want 10", n)
		}
	})
}

// A cancelled task stops between batches: what it moved is in the
// destination, the rest still in the dead-letter queue, nothing twice.
func TestMoveTaskCancelMidway(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, _ *fakeClock) {
		dlq, srcs := createRedrive(t, e, "src")
		dest := mustCreate(t, e, "dest", nil)
		want := bodies("m", 30)
		deadLetter(t, e, srcs[0], want)
		handle, err := e.StartMessageMoveTask(ctx, dlq, &dest, 10)
		if err != nil {
			t.Fatal(err)
		}
		waitMoved(t, e, dlq, 3)
		moved, err := e.CancelMessageMoveTask(ctx, dlq.Account, dlq.Region, handle)
		if err != nil || moved < 3 || moved >= 30 {
			t.Fatalf("cancel: moved %d, %v", moved, err)
		}
		task := waitStatus(t, e, dlq, engine.MoveTaskCancelled)
		// Once the runner has ended nothing can move any more: what it
		// moved after the task turned CANCELLED, if anything, shows below.
		waitUntil(t, "the runner to stop", func() bool { return e.RunningMoveTasks() == 0 })
		if after := latestTask(t, e, dlq); after != task {
			t.Fatalf("task %+v after its runner stopped, was %+v when cancelled", after, task)
		}
		inDest, inDLQ := drain(t, e, dest), drain(t, e, dlq)
		if int64(len(inDest)) != task.ApproximateNumberOfMessagesMoved || len(inDest)+len(inDLQ) != 30 || len(inDLQ) == 0 {
			t.Fatalf("moved %d by the count, %d in the destination, %d left", task.ApproximateNumberOfMessagesMoved, len(inDest), len(inDLQ))
		}
		seen := map[string]int{}
		countBodies(t, seen, inDest)
		countBodies(t, seen, inDLQ)
		wantAllOnce(t, seen, want)
	})
}

// A failed destination fails the task (as SQS: FailureReason is the
// error code); a deleted source ends its task, and a queue created again
// under the name starts with no tasks.
func TestMoveTaskQueueDeleted(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, clock *fakeClock) {
		dlq, srcs := createRedrive(t, e, "src")
		dest := mustCreate(t, e, "dest", nil)
		deadLetter(t, e, srcs[0], bodies("m", 10))
		if _, err := e.StartMessageMoveTask(ctx, dlq, &dest, 5); err != nil {
			t.Fatal(err)
		}
		waitMoved(t, e, dlq, 1)
		if err := e.DeleteQueue(ctx, dest); err != nil {
			t.Fatal(err)
		}
		task := waitStatus(t, e, dlq, engine.MoveTaskFailed)
		left := drain(t, e, dlq)
		if task.FailureReason != sqserr.CodeQueueDoesNotExist || task.ApproximateNumberOfMessagesMoved+int64(len(left)) != 10 {
			t.Fatalf("failed task %+v, %d left", task, len(left))
		}

		clock.AdvanceSeconds(31) // the drained messages are visible again
		if _, err := e.StartMessageMoveTask(ctx, dlq, nil, 5); err != nil {
			t.Fatal(err)
		}
		if err := e.DeleteQueue(ctx, dlq); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for e.RunningMoveTasks() > 0 {
			if time.Now().After(deadline) {
				t.Fatal("the task outlived its source queue")
			}
			time.Sleep(10 * time.Millisecond)
		}
		_, err := e.ListMessageMoveTasks(ctx, dlq, 1)
		wantCode(t, err, sqserr.CodeResourceNotFound)
		clock.AdvanceSeconds(61)
		mustCreate(t, e, "dlq", nil)
		if tasks, err := e.ListMessageMoveTasks(ctx, dlq, 10); err != nil || len(tasks) != 0 {
			t.Fatalf("recreated queue lists %v (%v)", tasks, err)
		}
		if _, err := e.StartMessageMoveTask(ctx, dlq, nil, 0); err != nil {
			t.Fatal(err)
		}
		waitStatus(t, e, dlq, engine.MoveTaskCompleted)
	})
}

// A node that stops mid-task hands it over: the next node to start
// resumes it, and every message arrives exactly once.
func TestMoveTaskResumesAfterRestart(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		clock := newFakeClock()
		first := newEngine(t, store, clock.Now)
		dlq, srcs := createRedrive(t, first, "src")
		dest := mustCreate(t, first, "dest", nil)
		want := bodies("m", 30)
		deadLetter(t, first, srcs[0], want)
		if _, err := first.StartMessageMoveTask(ctx, dlq, &dest, 20); err != nil {
			t.Fatal(err)
		}
		waitMoved(t, first, dlq, 5)
		if err := first.Close(); err != nil {
			t.Fatal(err)
		}
		mid := latestTask(t, first, dlq)
		if mid.Status != engine.MoveTaskRunning || mid.ApproximateNumberOfMessagesMoved >= 30 {
			t.Fatalf("stopped mid-task: %+v", mid)
		}

		second := newEngine(t, store, clock.Now)
		second.Start(ctx)
		done := waitStatus(t, second, dlq, engine.MoveTaskCompleted)
		if done.ApproximateNumberOfMessagesMoved != 30 {
			t.Fatalf("resumed task %+v", done)
		}
		seen := map[string]int{}
		countBodies(t, seen, drain(t, second, dest))
		wantAllOnce(t, seen, want)
		if left := drain(t, second, dlq); len(left) != 0 {
			t.Fatalf("%d messages left in the dead-letter queue", len(left))
		}
	})
}

// Two nodes over one store: a task runs on one of them at a time. A node
// takes over a live node's task only when its lease lapses, and a crashed
// node's task once the lease has run out; nothing moves twice.
func TestMoveTaskRunsOnceOnTwoEngines(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		clock := newFakeClock()
		a, gateA := newGatedEngine(t, store, clock.Now)
		b, gateB := newGatedEngine(t, store, clock.Now)
		dlq, srcs := createRedrive(t, a, "src")
		resume := func(e *engine.Engine) {
			t.Helper()
			if err := e.ResumeMessageMoveTasks(ctx); err != nil {
				t.Fatal(err)
			}
		}
		// Each scenario has its own destination: the clock jumps past the
		// visibility timeout of the messages drained by the one before.
		check := func(dest queues.Ref, want []string) {
			t.Helper()
			if task := latestTask(t, b, dlq); task.ApproximateNumberOfMessagesMoved != int64(len(want)) {
				t.Errorf("task %+v, want %d moved", task, len(want))
			}
			seen := map[string]int{}
			countBodies(t, seen, drain(t, b, dest))
			wantAllOnce(t, seen, want)
		}

		// Both alive: a stalls (its writes held) while the clock jumps past
		// its lease, b takes the task over; a's next batch sees the new
		// owner and stops without moving anything.
		dest := mustCreate(t, a, "dest1", nil)
		live := bodies("live", 40)
		deadLetter(t, a, srcs[0], live)
		if _, err := a.StartMessageMoveTask(ctx, dlq, &dest, 20); err != nil {
			t.Fatal(err)
		}
		resume(b)
		if b.RunningMoveTasks() != 0 {
			t.Fatal("b took over a task whose lease a holds")
		}
		waitMoved(t, b, dlq, 6)
		gateA.hold()
		clock.Advance(engine.MoveTaskLease + time.Second)
		resume(b)
		if b.RunningMoveTasks() != 1 {
			t.Fatal("b did not take over a task whose lease had lapsed")
		}
		// b stalls in turn, so the task cannot end while a looks: the
		// only move left to happen is a's, and there must be none.
		gateB.hold()
		before := latestTask(t, b, dlq)
		gateA.release()
		waitUntil(t, "a to stop after b took over", func() bool { return a.RunningMoveTasks() == 0 })
		if task := latestTask(t, b, dlq); task != before {
			t.Fatalf("a ran on after b took over: task %+v, was %+v", task, before)
		}
		gateB.release()
		waitStatus(t, b, dlq, engine.MoveTaskCompleted)
		check(dest, live)

		// a crashes mid-task: b waits out the lease, then finishes it.
		dest = mustCreate(t, a, "dest2", nil)
		crashed := bodies("crash", 40)
		deadLetter(t, a, srcs[0], crashed)
		if _, err := a.StartMessageMoveTask(ctx, dlq, &dest, 20); err != nil {
			t.Fatal(err)
		}
		waitMoved(t, b, dlq, 6)
		a.CrashMoveTasks()
		resume(b)
		if b.RunningMoveTasks() != 0 {
			t.Fatal("b took over before the crashed node's lease ran out")
		}
		clock.Advance(engine.MoveTaskLease + time.Second)
		resume(b)
		if b.RunningMoveTasks() != 1 {
			t.Fatal("b did not take over the crashed node's task")
		}
		waitStatus(t, b, dlq, engine.MoveTaskCompleted)
		check(dest, crashed)
	})
}
