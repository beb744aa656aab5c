package engine

import (
	"context"
	"errors"
	mrand "math/rand/v2"
	"time"

	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/data-plane/tiering/segment"
	"github.com/sluice-mq/sluice/internal/kv"
)

// moveBatchResult is what one batch did; done means the runner stops.
type moveBatchResult struct {
	moved int
	done  bool
}

// batch moves up to limit messages of the task in one transaction,
// with the task's progress and lease: a crash before the commit leaves
// the messages in the source and the count as it was, after it leaves
// both moved. It ends the task when it was cancelled, when its source or a
// destination is gone (FAILED, as SQS), or when no message visible at the
// task's start remains (COMPLETED).
func (t moveTask) batch(ctx context.Context, limit int) (moveBatchResult, error) {
	e, task := t.e, t.ref
	start, began := e.clock(), e.scanSince()
	var (
		res moveBatchResult
		out claimOutcome
	)
	// Its cold reads wait on the blob store outside the transaction, as a
	// receive's do (cold_reads.go), each for at most FetchTimeout.
	err := e.coldUpdate(ctx, ctx, e.store.Update, func(tx kv.Txn, cold *coldReads) error {
		res, out = moveBatchResult{}, claimOutcome{deltas: map[did]delta{}}
		rec, err := loadMoveTask(ctx, tx, task)
		if isNotFound(err) {
			res.done = true
			return nil
		}
		if err != nil {
			return err
		}
		if !rec.active() || rec.Owner != e.opts.NodeID {
			res.done = true // ended, or taken over by another node
			return nil
		}
		if rec.Status == MoveTaskCancelling {
			res.done = true
			return rec.finish(ctx, tx, task, MoveTaskCancelled, "")
		}
		src, err := queues.Load(ctx, tx, task.queue)
		if errors.Is(err, sqserr.ErrQueueDoesNotExist) || (err == nil && src.CreatedAt != rec.SourceCreated) {
			res.done = true
			return rec.finish(ctx, tx, task, MoveTaskFailed, sqserr.CodeQueueDoesNotExist)
		}
		if err != nil {
			return err
		}
		m := &mover{e: e, tx: tx, task: rec, src: src, d: src.DID(), now: e.clock().UnixMilli(), began: began, limit: limit, out: &out, targets: map[string]*moveTarget{}, cold: cold}
		m.began = snapshotClock(tx, m.began, m.now)
		m.groups = newFIFOGroups(tx, e.opts.Shards, m.now)
		found, err := m.moveVisible(ctx)
		if err != nil {
			return err
		}
		if cold.mustFetch() {
			return errColdPending
		}
		if err := m.groups.finish(ctx); err != nil {
			return err
		}
		out.notify = append(out.notify, m.groups.notify...)
		rec.Moved += int64(m.moved)
		res.moved = m.moved
		switch {
		case m.failure != "":
			res.done = true
			return rec.finish(ctx, tx, task, MoveTaskFailed, m.failure)
		case !found:
			res.done = true
			return rec.finish(ctx, tx, task, MoveTaskCompleted, "")
		}
		rec.LeaseUntil = m.now + moveLease.Milliseconds()
		return saveMoveTask(tx, task, rec)
	})
	if err != nil {
		return moveBatchResult{}, err
	}
	for d, n := range out.deltas {
		e.counts.add(d, n)
	}
	// One entry a message or FIFO group made receivable: as many long
	// polls wake, not every one of the destination's.
	e.waiters.notifyReleased(out.notify)
	if len(out.moved) > 0 {
		if observe := e.moveObserver.Load(); observe != nil {
			(*observe)(start, e.clock(), out.moved)
		}
	}
	return res, nil
}

// mover is one batch transaction's work.
type mover struct {
	e       *Engine
	tx      kv.Txn
	task    *moveTaskRecord
	src     *queues.Record
	d       did
	now     int64
	began   int64 // the clock reading its scans raise floors from (snapshotClock)
	limit   int
	out     *claimOutcome
	targets map[string]*moveTarget // by queues.ARN; nil: the queue is gone
	groups  *fifoGroups            // the FIFO groups the batch changes
	cold    *coldReads             // frames fetched for the batch, and to fetch

	taken   int // moved or dropped as expired
	moved   int
	bytes   int
	failure string // set when a message has nowhere to go
	sawOld  bool   // FIFO: a group held a message visible at the start
}

// moveTarget is a destination queue as of this transaction.
type moveTarget struct {
	d     did
	delay int
	fifo  bool
	arn   string
}

// MoveObserver is told of each committed batch of a message move task:
// when it began and ended, and the messages it moved.
type MoveObserver func(start, end time.Time, moves []MessageMove)

// ObserveMoveTasks sets the observer of this node's move-task batches
// (telemetry's); nil clears it.
func (e *Engine) ObserveMoveTasks(fn MoveObserver) {
	if fn == nil {
		e.moveObserver.Store(nil)
		return
	}
	e.moveObserver.Store(&fn)
}

func (m *mover) full() bool {
	return m.want() <= 0 || m.bytes >= moveBatchBytes || m.failure != ""
}

// want is how many more messages the batch can take, less the cold ones
// it will fetch before it runs again.
func (m *mover) want() int {
	if m.failure != "" || m.bytes >= moveBatchBytes {
		return 0
	}
	return m.limit - m.taken - len(m.cold.pending)
}

// moveVisible moves messages whose index entry is visible at the task's
// start. It reports whether it saw any such entry: none left in any shard
// means the task is complete. In-flight messages have entries later than
// that and are left alone; so are messages that arrive after the start.
func (m *mover) moveVisible(ctx context.Context) (found bool, err error) {
	// The cutoff is by the starting node's clock; on a node whose clock is
	// behind, an entry up to it may still be in flight here.
	until := min(m.task.StartedAt, m.now)
	scanUntil := until
	fifo := m.src.Attributes.FifoQueue
	if fifo {
		// A group's entry moves to the time its head became receivable
		// again, so groups are scanned up to now and their messages
		// checked against the start.
		scanUntil = m.now
		defer func() { found = found && m.sawOld }()
	}
	shards := m.e.opts.Shards
	start := mrand.IntN(shards)
	for i := range shards {
		if m.full() {
			m.sawOld = true
			return true, nil
		}
		shard := uint8((start + i) % shards)
		need := m.want()
		entries, err := m.e.scanReady(ctx, m.tx, m.d, shard, scanUntil, m.began, 2*need+4)
		if err != nil {
			return false, err
		}
		if len(entries) == 0 {
			continue
		}
		found = true
		move := m.moveEntries
		if fifo {
			move = m.moveGroups(until)
		}
		if err := move(ctx, shard, entries); err != nil {
			return false, err
		}
	}
	return found, nil
}

// moveEntries locks the entries' messages a few at a time, as a receive
// does, and moves those still at the entry scanned: a receiver may have
// taken one since (LockSkip skips what another transaction holds).
func (m *mover) moveEntries(ctx context.Context, _ uint8, entries []readyEntry) error {
	_, err := lockIndexed(ctx, m.tx, m.d, entries, m.want, func(id msgID, rec *messageRecord) error {
		if m.failure != "" {
			return nil // the task failed on an earlier message: move no more
		}
		_, err := m.moveOne(ctx, id, rec)
		return err
	})
	return err
}

// moveOne deletes the message from the source and inserts it in its
// destination as a new message, as SQS's redrive does: new id, sent now
// (so retention starts again), receive count 0; body, attributes and
// AWSTraceHeader kept. A message past the source's retention is dropped.
// It reports left when the message stays where it is for its body: to be
// fetched before the batch runs again, or corrupt (a FIFO group's messages
// behind it then stay too).
func (m *mover) moveOne(ctx context.Context, id msgID, rec *messageRecord) (left bool, err error) {
	if rec.SentAt+int64(m.src.Attributes.MessageRetentionPeriod)*1000 <= m.now {
		m.taken++
		m.out.deltas[m.d] = m.out.deltas[m.d].plus(one(rec).neg())
		return false, rec.remove(m.tx, m.d, id)
	}
	switch err := m.e.hydrateIn(m.cold, m.d, id, rec); {
	case errors.Is(err, errColdPending):
		return true, nil // fetched before the batch runs again
	case errors.Is(err, segment.ErrCorrupt):
		return true, nil // reported by hydrateIn; it stays, never moved corrupt
	case err != nil:
		return true, err // the blob store is down: the batch is tried again
	}
	target, err := m.target(ctx, rec)
	if err != nil {
		return false, err
	}
	if target == nil {
		m.failure = sqserr.CodeQueueDoesNotExist
		return false, nil
	}
	if m.src.Attributes.FifoQueue {
		err = m.groups.remove(ctx, m.d, id, rec)
	} else {
		err = rec.remove(m.tx, m.d, id)
	}
	if err != nil {
		return false, err
	}
	fresh := &messageRecord{
		SentAt:    m.now,
		SenderID:  rec.SenderID,
		Attrs:     rec.Attrs,
		SysAttrs:  rec.SysAttrs,
		MD5Body:   rec.MD5Body,
		Shard:     uint8(mrand.IntN(m.e.opts.Shards)),
		VisibleAt: m.now + int64(target.delay)*1000,
		Group:     rec.Group,
		DedupID:   rec.DedupID,
		Body:      rec.Body,
	}
	newID := m.e.ids.next()
	if err := m.putFresh(ctx, target, newID, fresh); err != nil {
		return false, err
	}
	m.out.moved = append(m.out.moved, MessageMove{MessageID: formatMessageID(newID), Source: m.task.SourceArn,
		Destination: target.arn, TraceHeader: rec.SysAttrs[SysAWSTraceHeader].StringValue})
	m.out.deltas[m.d] = m.out.deltas[m.d].plus(one(rec).neg())
	m.out.deltas[target.d] = m.out.deltas[target.d].plus(one(fresh))
	m.taken++
	m.moved++
	m.bytes += len(rec.Body)
	return false, nil
}

// target resolves the message's destination: the task's, or the queue
// the message was dead-lettered from. nil means it no longer exists (or
// the message never came from another queue).
func (m *mover) target(ctx context.Context, rec *messageRecord) (*moveTarget, error) {
	arn := m.task.DestinationArn
	if arn == "" {
		arn = rec.DLQSource
	}
	if t, ok := m.targets[arn]; ok {
		return t, nil
	}
	var t *moveTarget
	src, _ := queues.ParseARN(m.task.SourceArn)
	if a, err := queues.ParseARN(arn); err == nil && a.Account == src.Account && a.Region == src.Region {
		q, err := queues.Load(ctx, m.tx, queues.Ref{Account: a.Account, Region: a.Region, Name: a.Name})
		switch {
		case err == nil:
			t = &moveTarget{d: q.DID(), delay: q.Attributes.DelaySeconds, fifo: q.Attributes.FifoQueue, arn: arn}
		case !errors.Is(err, sqserr.ErrQueueDoesNotExist):
			return nil, err
		}
	}
	m.targets[arn] = t
	return t, nil
}

// putFresh stores a moved message in its destination: at the end of its
// group in a FIFO queue, anywhere in a standard one.
func (m *mover) putFresh(ctx context.Context, target *moveTarget, id msgID, fresh *messageRecord) error {
	if target.fifo {
		return m.groups.appendMessage(ctx, target.d, id, fresh)
	}
	fresh.Group, fresh.DedupID = "", ""
	entry := entrySent
	if target.delay > 0 {
		entry = entryDelayed
	} else {
		m.out.notify = append(m.out.notify, target.d)
	}
	return fresh.put(m.tx, target.d, id, entry)
}

// moveGroups moves the messages of a FIFO queue's ready groups in group
// order, stopping in each group at the first message not visible at the
// task's start (in flight, or delayed), so each group reaches its
// destination in the order it was sent.
func (m *mover) moveGroups(until int64) func(context.Context, uint8, []readyEntry) error {
	return func(ctx context.Context, _ uint8, entries []readyEntry) error {
		return m.groups.lockGroups(ctx, m.d, entries, m.want, func(group string, st *groupState) error {
			st.reindex, st.dirty = true, true
			return walkGroup(ctx, m.tx, m.d, group, st.rec.scanFrom(), until, m.want, func(o orderEntry, rec *messageRecord) (bool, error) {
				if m.full() {
					return true, nil
				}
				m.sawOld = true
				return m.moveOne(ctx, o.id, rec)
			})
		})
	}
}
