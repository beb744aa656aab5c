package engine

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/internal/kv"
)

// Who runs a move task: the node whose id is in the task record's lease.
// Every batch renews the lease in the transaction that moves the batch, so
// a node that lost the lease (another node took the task over) finds out
// before moving anything: its batch reads the record, sees another owner
// and stops; two batches of one task never both commit, because each
// writes the record. A node that stops releases its leases; a crashed
// node's leases lapse after moveLease and any node's resume scan takes
// them over.
const (
	moveLease            = 30 * time.Second // by the store's clocks; far above maxClockSkew
	moveTaskScanInterval = 10 * time.Second // how often a node looks for lapsed leases
	moveBatchMax         = 50               // messages per batch transaction
	moveBatchBytes       = 4 << 20          // bodies per batch transaction
	moveRetryDelay       = time.Second      // after a failed batch
	moveContendedDelay   = 20 * time.Millisecond
)

// moveRunners are the move tasks running on this node. Their goroutines
// live as long as the engine, not as long as Start's context: a task
// started through StartMessageMoveTask runs even on an engine whose
// background loops were never started.
type moveRunners struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	running map[moveTaskRef]chan struct{} // wakes a pacing runner (cancel)
	stopped bool
}

func newMoveRunners() *moveRunners {
	ctx, cancel := context.WithCancel(context.Background())
	return &moveRunners{ctx: ctx, cancel: cancel, running: map[moveTaskRef]chan struct{}{}}
}

// launch runs the task on this node unless it already runs here. The
// caller holds the task's lease.
func (m *moveRunners) launch(task moveTask, rate int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopped {
		return // the lease lapses and another node takes the task
	}
	if _, ok := m.running[task.ref]; ok {
		return
	}
	wake := make(chan struct{}, 1)
	m.running[task.ref] = wake
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		task.run(m.ctx, rate, wake)
		m.mu.Lock()
		delete(m.running, task.ref)
		m.mu.Unlock()
	}()
}

func (m *moveRunners) isRunning(task moveTaskRef) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.running[task]
	return ok
}

func (m *moveRunners) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.running)
}

// wake cuts a runner's pacing wait short, so a cancel takes effect now.
func (m *moveRunners) wake(task moveTaskRef) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if ch, ok := m.running[task]; ok {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// stop ends every runner and, when release is set, gives their leases
// back so another node resumes the tasks at once instead of after the
// lease. Batches in flight either commit or not; nothing is half-moved.
func (m *moveRunners) stop(e *Engine, release bool) error {
	m.mu.Lock()
	m.stopped = true
	tasks := make([]moveTaskRef, 0, len(m.running))
	for t := range m.running {
		tasks = append(tasks, t)
	}
	m.mu.Unlock()
	m.cancel()
	m.wg.Wait()
	if !release {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, t := range tasks {
		if err := (moveTask{e: e, ref: t}).releaseLease(ctx); err != nil {
			return fmt.Errorf("release move task lease: %w", err)
		}
	}
	return nil
}

// ResumeMessageMoveTasks runs on this node every active move task that no
// node holds: released by a node that stopped, or whose lease lapsed
// because its node crashed. Start calls it at once and every 10 s.
func (e *Engine) ResumeMessageMoveTasks(ctx context.Context) error {
	return e.forEachKey(ctx, moveActivePrefix, func(p kv.KV) error {
		task, ok := parseMoveActive(p)
		if !ok || e.movers.isRunning(task) {
			return nil
		}
		t := moveTask{e: e, ref: task}
		rate, took, err := t.takeLease(ctx)
		if err != nil {
			return fmt.Errorf("take over move task: %w", err)
		}
		if took {
			e.log.Info("resuming message move task", "source", task.queue.ARN(), "task", formatMessageID(task.id))
			e.movers.launch(t, rate)
		}
		return nil
	})
}

// parseMoveActive reads an active pointer: M/a/{account}/{region}/{name}.
func parseMoveActive(p kv.KV) (moveTaskRef, bool) {
	parts := strings.Split(string(p.Key[len(moveActivePrefix):]), "/")
	if len(parts) != 3 || len(p.Value) != msgIDLen {
		return moveTaskRef{}, false
	}
	task := moveTaskRef{queue: queues.Ref{Account: parts[0], Region: parts[1], Name: parts[2]}}
	copy(task.id[:], p.Value)
	return task, true
}

// moveTask is a stored move task as this node leases and runs it. It
// holds the engine for the store, clock, node id, counts, waiters and the
// visibility index its batches read and write.
type moveTask struct {
	e   *Engine
	ref moveTaskRef
}

// takeLease makes this node the task's owner if no node holds it.
func (t moveTask) takeLease(ctx context.Context) (rate int, took bool, err error) {
	e, task := t.e, t.ref
	err = e.store.Update(ctx, func(tx kv.Txn) error {
		took = false
		rec, err := loadMoveTask(ctx, tx, task)
		if isNotFound(err) {
			return nil
		}
		if err != nil || !rec.active() {
			return err
		}
		now := e.clock().UnixMilli()
		if rec.Owner != "" && rec.Owner != e.opts.NodeID && rec.LeaseUntil > now {
			return nil
		}
		rec.Owner, rec.LeaseUntil = e.opts.NodeID, now+moveLease.Milliseconds()
		rate, took = rec.MaxPerSecond, true
		return saveMoveTask(tx, task, rec)
	})
	return rate, took, err
}

// releaseLease gives the task's lease back if this node holds it.
func (t moveTask) releaseLease(ctx context.Context) error {
	e, task := t.e, t.ref
	return e.store.Update(ctx, func(tx kv.Txn) error {
		rec, err := loadMoveTask(ctx, tx, task)
		if isNotFound(err) {
			return nil
		}
		if err != nil || !rec.active() || rec.Owner != e.opts.NodeID {
			return err
		}
		rec.Owner, rec.LeaseUntil = "", 0
		return saveMoveTask(tx, task, rec)
	})
}

// run moves batches until the task ends, this node loses its lease, or
// the engine closes.
func (t moveTask) run(ctx context.Context, rate int, wake <-chan struct{}) {
	pace := pacer{rate: rate}
	size := moveBatchSize(rate)
	for {
		if !pace.wait(ctx, wake) {
			return
		}
		began := time.Now()
		res, err := t.batch(ctx, size)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			t.e.log.Warn("message move task batch failed", "source", t.ref.queue.ARN(), "task", formatMessageID(t.ref.id), "error", err)
			if !sleepOrWake(ctx, wake, moveRetryDelay) {
				return
			}
			continue
		case res.done:
			return
		}
		pace.charge(began, res.moved)
		// Every entry seen was locked by a receiver: let them finish.
		if res.moved == 0 && !sleepOrWake(ctx, wake, moveContendedDelay) {
			return
		}
	}
}

// moveBatchSize spreads a rate over about ten batches a second, so the
// pace stays even; without a rate, batches are as large as is cheap.
func moveBatchSize(rate int) int {
	if rate == 0 {
		return moveBatchMax
	}
	return min(max(rate/10, 1), moveBatchMax)
}

// sleepOrWake waits d, less when woken; it reports false when ctx ended.
func sleepOrWake(ctx context.Context, wake <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-wake:
	case <-t.C:
	}
	return true
}

// pacer keeps a task at or below rate messages a second, on the real
// clock: the engine's clock is for timestamps and may be a test's.
type pacer struct {
	rate int
	next time.Time // when the next batch may start
}

// wait blocks until the next batch may start, or a wake-up; it reports
// false when ctx ended.
func (p *pacer) wait(ctx context.Context, wake <-chan struct{}) bool {
	if d := time.Until(p.next); p.rate > 0 && d > 0 {
		return sleepOrWake(ctx, wake, d)
	}
	return ctx.Err() == nil
}

// charge books n messages moved by a batch that began at began: the next
// batch waits until n/rate seconds after it.
func (p *pacer) charge(began time.Time, n int) {
	if p.rate == 0 || n == 0 {
		return
	}
	if p.next.After(began) {
		began = p.next
	}
	p.next = began.Add(time.Duration(n) * time.Second / time.Duration(p.rate))
}
