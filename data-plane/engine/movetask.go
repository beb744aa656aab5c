package engine

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/internal/kv"
)

// Message move tasks (dead-letter queue redrive): StartMessageMoveTask,
// ListMessageMoveTasks and CancelMessageMoveTask. A task moves the
// messages that are visible in a dead-letter queue when it starts, in
// batches, each batch one transaction that deletes the messages from the
// source, inserts fresh copies in their destinations and counts them in
// the task record. The record lives in the store with a lease, so a task
// survives restarts and runs on one node at a time (movetask_run.go).

// Move task statuses, as SQS spells them.
const (
	MoveTaskRunning    = "RUNNING"
	MoveTaskCompleted  = "COMPLETED"
	MoveTaskCancelling = "CANCELLING"
	MoveTaskCancelled  = "CANCELLED"
	MoveTaskFailed     = "FAILED"
)

const (
	maxMoveRate        = 500 // MaxNumberOfMessagesPerSecond
	maxMoveTaskResults = 10  // ListMessageMoveTasks MaxResults
	moveTaskHistory    = 10  // finished tasks kept per source queue
)

// MoveTask is a message move task as ListMessageMoveTasks reports it.
type MoveTask struct {
	TaskHandle                        string // only while RUNNING, as SQS
	Status                            string
	SourceArn                         string
	DestinationArn                    string // empty: each message's original source
	FailureReason                     string
	MaxNumberOfMessagesPerSecond      int // 0: not set
	ApproximateNumberOfMessagesMoved  int64
	ApproximateNumberOfMessagesToMove int64
	StartedTimestamp                  int64 // unix ms
}

// moveTaskRef names one task: its source queue and its id.
type moveTaskRef struct {
	queue queues.Ref
	id    msgID
}

func (t moveTaskRef) key() []byte {
	return moveTaskKey(t.queue.Account, t.queue.Region, t.queue.Name, t.id)
}

func (t moveTaskRef) activeKey() []byte {
	return moveActiveKey(t.queue.Account, t.queue.Region, t.queue.Name)
}

// moveTaskRecord is a task as the store holds it. StartedAt is also the
// cutoff: the task moves the messages visible at that time.
type moveTaskRecord struct {
	SourceArn      string `json:"src"`
	SourceCreated  int64  `json:"srcCreated"` // tells a recreated queue's tasks from the old one's
	DestinationArn string `json:"dst,omitempty"`
	MaxPerSecond   int    `json:"rate,omitempty"`
	Status         string `json:"status"`
	FailureReason  string `json:"failure,omitempty"`
	Moved          int64  `json:"moved"`
	ToMove         int64  `json:"toMove"`
	StartedAt      int64  `json:"started"` // unix ms
	Owner          string `json:"owner,omitempty"`
	LeaseUntil     int64  `json:"lease,omitempty"` // unix ms, by the owner's clock
}

func (t *moveTaskRecord) active() bool {
	return t.Status == MoveTaskRunning || t.Status == MoveTaskCancelling
}

func loadMoveTask(ctx context.Context, r kv.Reader, task moveTaskRef) (*moveTaskRecord, error) {
	v, err := r.Get(ctx, task.key())
	if err != nil {
		return nil, err
	}
	var t moveTaskRecord
	if err := json.Unmarshal(v, &t); err != nil {
		return nil, fmt.Errorf("decode move task: %w", err)
	}
	return &t, nil
}

func saveMoveTask(tx kv.Txn, task moveTaskRef, t *moveTaskRecord) error {
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return tx.Set(task.key(), b)
}

// finish ends the task; its lease and the source's active pointer go with
// it, in the same transaction.
func (t *moveTaskRecord) finish(ctx context.Context, tx kv.Txn, task moveTaskRef, status, reason string) error {
	t.Status, t.FailureReason, t.Owner, t.LeaseUntil = status, reason, "", 0
	if err := saveMoveTask(tx, task, t); err != nil {
		return err
	}
	v, err := tx.Get(ctx, task.activeKey())
	if isNotFound(err) || (err == nil && string(v) != string(task.id[:])) {
		return nil // a later task already holds the pointer
	}
	if err != nil {
		return err
	}
	return tx.Delete(task.activeKey())
}

func errNoMoveSource() *sqserr.Error {
	return errorf(sqserr.CodeResourceNotFound, "The resource that you specified for the SourceArn parameter doesn't exist.")
}

func errNoMoveDestination() *sqserr.Error {
	return errorf(sqserr.CodeResourceNotFound, "The resource that you specified for the DestinationArn parameter doesn't exist.")
}

// withContext wraps store failures with what was being done, and leaves
// the caller's errors (*sqserr.Error) as they are for the API layer.
func withContext(what string, err error) error {
	var ee *sqserr.Error
	if err == nil || errors.As(err, &ee) {
		return err
	}
	return fmt.Errorf("%s: %w", what, err)
}

// StartMessageMoveTask starts moving the messages visible in source, a
// dead-letter queue, to destination, or with a nil destination each to the
// queue it was dead-lettered from. maxPerSecond 0 moves as fast as the
// engine allows, else 1–500 messages a second. The task runs on this node
// until it ends, this node stops (another node takes it over) or the task
// is cancelled.
func (e *Engine) StartMessageMoveTask(ctx context.Context, source queues.Ref, destination *queues.Ref, maxPerSecond int) (string, error) {
	if maxPerSecond < 0 || maxPerSecond > maxMoveRate {
		return "", errorf(sqserr.CodeInvalidParameterValue, "Value %d for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: Must be between 1 and %d.", maxPerSecond, maxMoveRate)
	}
	sources, _, err := e.catalog.ListDeadLetterSources(ctx, source, 1, "")
	if errors.Is(err, sqserr.ErrQueueDoesNotExist) {
		return "", errNoMoveSource()
	}
	if err != nil {
		return "", fmt.Errorf("start message move task: %w", err)
	}
	if len(sources) == 0 {
		return "", errorf(sqserr.CodeInvalidParameterValue, "Source queue must be configured as a Dead Letter queues.Queue.")
	}
	task := moveTaskRef{queue: source, id: e.ids.next()}
	var rate int
	err = e.store.Update(ctx, func(tx kv.Txn) error {
		src, err := queues.Load(ctx, tx, source)
		if errors.Is(err, sqserr.ErrQueueDoesNotExist) {
			return errNoMoveSource()
		}
		if err != nil {
			return err
		}
		rec := &moveTaskRecord{SourceArn: source.ARN(), SourceCreated: src.CreatedAt, MaxPerSecond: maxPerSecond, Status: MoveTaskRunning}
		if destination != nil {
			if err := checkMoveDestination(ctx, tx, source, *destination); err != nil {
				return err
			}
			rec.DestinationArn = destination.ARN()
		}
		if err := retireActiveMoveTask(ctx, tx, source, src); err != nil {
			return err
		}
		counts, err := e.stats.readCounts(ctx, tx, src.DID())
		if err != nil {
			return err
		}
		now := e.clock().UnixMilli()
		started, err := nextMoveTaskStart(ctx, tx, source, now)
		if err != nil {
			return err
		}
		rec.ToMove, rec.StartedAt = counts.visible, started
		rec.Owner, rec.LeaseUntil = e.opts.NodeID, now+moveLease.Milliseconds()
		rate = rec.MaxPerSecond
		if err := saveMoveTask(tx, task, rec); err != nil {
			return err
		}
		if err := tx.Set(task.activeKey(), task.id[:]); err != nil {
			return err
		}
		return trimMoveTasks(ctx, tx, source, src.CreatedAt)
	})
	if err != nil {
		return "", withContext("start message move task", err)
	}
	e.movers.launch(moveTask{e: e, ref: task}, rate)
	return encodeTaskHandle(task), nil
}

// checkMoveDestination requires an existing queue of the source's account
// and region; another account's queue is reported as missing, so a tenant
// learns nothing about other accounts.
func checkMoveDestination(ctx context.Context, tx kv.Txn, source, dest queues.Ref) error {
	if dest.Account != source.Account || dest.Region != source.Region {
		return errNoMoveDestination()
	}
	if _, err := queues.Load(ctx, tx, dest); errors.Is(err, sqserr.ErrQueueDoesNotExist) {
		return errNoMoveDestination()
	} else if err != nil {
		return err
	}
	if queues.IsFIFOName(dest.Name) != queues.IsFIFOName(source.Name) {
		return errorf(sqserr.CodeInvalidParameterValue, "The source queue and destination queue must be of the same queue type.")
	}
	return nil
}

// retireActiveMoveTask refuses a second active task for the queue. An
// active task left by an earlier queue of the same name, whose runner has
// not noticed the deletion yet, is failed instead.
func retireActiveMoveTask(ctx context.Context, tx kv.Txn, source queues.Ref, src *queues.Record) error {
	v, err := tx.Get(ctx, moveActiveKey(source.Account, source.Region, source.Name))
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	old := moveTaskRef{queue: source}
	copy(old.id[:], v)
	rec, err := loadMoveTask(ctx, tx, old)
	if isNotFound(err) {
		return nil // a dangling pointer: the caller overwrites it
	}
	if err != nil || !rec.active() {
		return err
	}
	if rec.SourceCreated == src.CreatedAt {
		return errorf(sqserr.CodeInvalidParameterValue, "There is already a task running. Only one active task is allowed for a source queue arn at a given time.")
	}
	return rec.finish(ctx, tx, old, MoveTaskFailed, sqserr.CodeQueueDoesNotExist)
}

// nextMoveTaskStart is now, or just after the queue's latest task if that
// started in the same millisecond: start times order the tasks.
func nextMoveTaskStart(ctx context.Context, tx kv.Txn, source queues.Ref, now int64) (int64, error) {
	tasks, err := scanMoveTasks(ctx, tx, source)
	if err != nil || len(tasks) == 0 {
		return now, err
	}
	return max(now, tasks[0].rec.StartedAt+1), nil
}

type storedMoveTask struct {
	id  msgID
	rec *moveTaskRecord
}

// scanMoveTasks returns the queue's task records, most recent first. A
// queue keeps about moveTaskHistory of them, so reading all is cheap.
func scanMoveTasks(ctx context.Context, r kv.Reader, source queues.Ref) ([]storedMoveTask, error) {
	prefix := moveTaskPrefix(source.Account, source.Region, source.Name)
	kvs, err := r.Scan(ctx, prefix, kv.PrefixEnd(prefix), 0)
	if err != nil {
		return nil, err
	}
	tasks := make([]storedMoveTask, 0, len(kvs))
	for _, p := range kvs {
		var t storedMoveTask
		if len(p.Key) != len(prefix)+msgIDLen {
			continue
		}
		copy(t.id[:], p.Key[len(prefix):])
		t.rec = &moveTaskRecord{}
		if err := json.Unmarshal(p.Value, t.rec); err != nil {
			return nil, fmt.Errorf("decode move task: %w", err)
		}
		tasks = append(tasks, t)
	}
	slices.SortFunc(tasks, func(a, b storedMoveTask) int {
		if c := cmp.Compare(b.rec.StartedAt, a.rec.StartedAt); c != 0 {
			return c
		}
		return slices.Compare(b.id[:], a.id[:])
	})
	return tasks, nil
}

// trimMoveTasks keeps the queue's moveTaskHistory most recent tasks (the
// active one among them) and drops the finished tasks of earlier queues of
// the name.
func trimMoveTasks(ctx context.Context, tx kv.Txn, source queues.Ref, created int64) error {
	tasks, err := scanMoveTasks(ctx, tx, source)
	if err != nil {
		return err
	}
	kept := 0
	for _, t := range tasks {
		current := t.rec.SourceCreated == created
		switch {
		case t.rec.active() && current:
			kept++
			continue
		case t.rec.active():
			continue // an earlier queue's task: its runner fails it
		case current && kept < moveTaskHistory:
			kept++
			continue
		}
		if err := tx.Delete(moveTaskRef{queue: source, id: t.id}.key()); err != nil {
			return err
		}
	}
	return nil
}

// ListMessageMoveTasks returns up to maxResults (1–10, 0 means 1) of the
// source queue's most recent move tasks, most recent first.
func (e *Engine) ListMessageMoveTasks(ctx context.Context, source queues.Ref, maxResults int) ([]MoveTask, error) {
	if maxResults == 0 {
		maxResults = 1
	}
	if maxResults < 1 || maxResults > maxMoveTaskResults {
		return nil, errorf(sqserr.CodeInvalidParameterValue, "Value %d for parameter MaxResults is invalid. Reason: Must be between 1 and %d.", maxResults, maxMoveTaskResults)
	}
	var out []MoveTask
	err := e.store.View(ctx, func(r kv.Reader) error {
		out = nil
		src, err := queues.Load(ctx, r, source)
		if errors.Is(err, sqserr.ErrQueueDoesNotExist) {
			return errNoMoveSource()
		}
		if err != nil {
			return err
		}
		tasks, err := scanMoveTasks(ctx, r, source)
		if err != nil {
			return err
		}
		for _, t := range tasks {
			if len(out) == maxResults {
				break
			}
			if t.rec.SourceCreated != src.CreatedAt {
				continue // a deleted queue's task
			}
			out = append(out, t.rec.public(moveTaskRef{queue: source, id: t.id}))
		}
		return nil
	})
	return out, withContext("list message move tasks", err)
}

func (t *moveTaskRecord) public(task moveTaskRef) MoveTask {
	m := MoveTask{
		Status:                            t.Status,
		SourceArn:                         t.SourceArn,
		DestinationArn:                    t.DestinationArn,
		FailureReason:                     t.FailureReason,
		MaxNumberOfMessagesPerSecond:      t.MaxPerSecond,
		ApproximateNumberOfMessagesMoved:  t.Moved,
		ApproximateNumberOfMessagesToMove: t.ToMove,
		StartedTimestamp:                  t.StartedAt,
	}
	if t.Status == MoveTaskRunning {
		m.TaskHandle = encodeTaskHandle(task)
	}
	return m
}

// CancelMessageMoveTask stops a RUNNING task and returns how many messages
// it has moved. The caller's account and region scope the handle: a handle
// of another account's queue is answered as a missing queue. The task is
// CANCELLING until the node running it ends it (its next batch), or
// CANCELLED at once when no node holds its lease.
func (e *Engine) CancelMessageMoveTask(ctx context.Context, account, region, taskHandle string) (int64, error) {
	task, err := decodeTaskHandle(taskHandle)
	if err != nil {
		return 0, err
	}
	if task.queue.Account != account || task.queue.Region != region {
		return 0, errNoMoveSource()
	}
	var moved int64
	err = e.store.Update(ctx, func(tx kv.Txn) error {
		src, err := queues.Load(ctx, tx, task.queue)
		if errors.Is(err, sqserr.ErrQueueDoesNotExist) {
			return errNoMoveSource()
		}
		if err != nil {
			return err
		}
		rec, err := loadMoveTask(ctx, tx, task)
		if isNotFound(err) || (err == nil && rec.SourceCreated != src.CreatedAt) {
			return errorf(sqserr.CodeResourceNotFound, "Task does not exist.")
		}
		if err != nil {
			return err
		}
		if rec.Status != MoveTaskRunning {
			return errorf(sqserr.CodeUnsupportedOperation, "Only a task with status RUNNING can be cancelled; this task is %s.", rec.Status)
		}
		moved = rec.Moved
		if rec.Owner == "" || rec.LeaseUntil <= e.clock().UnixMilli() {
			return rec.finish(ctx, tx, task, MoveTaskCancelled, "")
		}
		rec.Status = MoveTaskCancelling
		return saveMoveTask(tx, task, rec)
	})
	if err != nil {
		return 0, withContext("cancel message move task", err)
	}
	e.movers.wake(task)
	return moved, nil
}
