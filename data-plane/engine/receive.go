package engine

import (
	"context"
	mrand "math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/sluice-mq/sluice/data-plane/msgattr"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/internal/kv"
)

// ReceiveInput is a ReceiveMessage request.
type ReceiveInput struct {
	MaxNumberOfMessages   int  // 1–10; 0 means 1
	VisibilityTimeout     *int // nil: the queue's
	WaitTimeSeconds       *int // nil: the queue's ReceiveMessageWaitTimeSeconds
	AttributeNames        []string
	MessageAttributeNames []string
	// ReceiveRequestAttemptID lets a FIFO receive be retried: within 5
	// minutes, while its messages are untouched and in flight, a retry
	// returns the same messages and receipt handles. Standard queues
	// ignore it.
	ReceiveRequestAttemptID string
	// Admit, when set, admits the claim under a quota once messages are
	// ready (a long poll holds nothing while it waits).
	Admit ClaimAdmitter
	// OnMove, when set, is told of the messages the receive moved to the
	// dead-letter queue (past the redrive policy's maxReceiveCount), once
	// the move has committed.
	OnMove func([]MessageMove)

	// coldBy ends the attempt's cold reads (coldReadBudget), set by
	// ReceiveMessage so an attempt's claims share one budget.
	coldBy time.Time
}

// MessageMove is a message moved from one queue to another: to its
// dead-letter queue by a receive, or by a message move task.
type MessageMove struct {
	// MessageID is the message's id in the destination (a move task gives
	// it a new one; a dead-letter move keeps it).
	MessageID string
	// Source and Destination are the queues' ARNs.
	Source, Destination string
	// TraceHeader is the message's AWSTraceHeader, "" when it has none.
	TraceHeader string
}

// ClaimAdmitter decides how many of want messages a receive may claim from
// the queue: it may grant fewer, or refuse with an error the receive
// answers. done is called with how many were claimed.
type ClaimAdmitter interface {
	AdmitClaim(ctx context.Context, ref queues.Ref, want int) (granted int, done func(claimed int), err error)
}

// Message is a received message.
type Message struct {
	MessageID              string
	ReceiptHandle          string
	Body                   string
	MD5OfBody              string
	MD5OfMessageAttributes string
	Attributes             map[string]string
	MessageAttributes      msgattr.Attributes
	// TraceHeader is the AWSTraceHeader the message was sent with, asked
	// for or not: the API's receive span links to it.
	TraceHeader string
}

// System attribute names a receiver may ask for.
const (
	SysSenderID                         = "SenderId"
	SysSentTimestamp                    = "SentTimestamp"
	SysApproximateReceiveCount          = "ApproximateReceiveCount"
	SysApproximateFirstReceiveTimestamp = "ApproximateFirstReceiveTimestamp"
	SysAWSTraceHeader                   = "AWSTraceHeader"
	SysDeadLetterQueueSourceArn         = "DeadLetterQueueSourceArn"
	SysMessageGroupID                   = "MessageGroupId"
	SysMessageDeduplicationID           = "MessageDeduplicationId"
	SysSequenceNumber                   = "SequenceNumber"
)

var systemAttrNames = []string{SysSenderID, SysSentTimestamp, SysApproximateReceiveCount,
	SysApproximateFirstReceiveTimestamp, SysAWSTraceHeader, SysDeadLetterQueueSourceArn,
	SysMessageGroupID, SysMessageDeduplicationID, SysSequenceNumber}

const (
	maxReceiveBatch   = 10
	maxVisibilitySecs = 43200
	maxWaitSecs       = 20
)

func (in *ReceiveInput) validate() error {
	if in.MaxNumberOfMessages == 0 {
		in.MaxNumberOfMessages = 1
	}
	if in.MaxNumberOfMessages < 1 || in.MaxNumberOfMessages > maxReceiveBatch {
		return errorf(sqserr.CodeInvalidParameterValue, "Value %d for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.", in.MaxNumberOfMessages)
	}
	if v := in.VisibilityTimeout; v != nil && (*v < 0 || *v > maxVisibilitySecs) {
		return errorf(sqserr.CodeInvalidParameterValue, "Value %d for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.", *v)
	}
	if v := in.WaitTimeSeconds; v != nil && (*v < 0 || *v > maxWaitSecs) {
		return errorf(sqserr.CodeInvalidParameterValue, "Value %d for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.", *v)
	}
	for _, name := range in.AttributeNames {
		if name != queues.AttrAll && !slices.Contains(systemAttrNames, name) {
			return errorf(sqserr.CodeInvalidAttributeName, "Unknown Attribute %s.", name)
		}
	}
	if id := in.ReceiveRequestAttemptID; id != "" && !fifoIDPattern.MatchString(id) {
		return invalidFIFOID("ReceiveRequestAttemptId", id)
	}
	return nil
}

// ReceiveMessage returns up to MaxNumberOfMessages visible messages and
// hides each for the visibility timeout. With a wait time it returns as
// soon as a message arrives — at once when it was sent through this node,
// within PollInterval otherwise — or empty when the wait ends.
func (e *Engine) ReceiveMessage(ctx context.Context, ref queues.Ref, in ReceiveInput) ([]Message, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	if in.ReceiveRequestAttemptID != "" {
		msgs, replayed, err := claimer{e: e, ref: ref, in: in}.replayAttempt(ctx)
		if err != nil || replayed {
			return msgs, err
		}
	}
	start := time.Now()
	in.coldBy = start.Add(coldReadBudget)
	msgs, st, err := e.receiveOnce(ctx, ref, in)
	if err != nil || len(msgs) > 0 {
		return msgs, err
	}
	wait := st.waitSeconds
	if in.WaitTimeSeconds != nil {
		wait = *in.WaitTimeSeconds
	}
	deadline := start.Add(time.Duration(wait) * time.Second)
	if !time.Now().Before(deadline) {
		// No wait, or the first attempt outlasted it (slow cold reads):
		// a second attempt would only add its own cold reads.
		return nil, nil
	}
	// The queue's watcher looks at the store for all its waiters on this
	// node and wakes them (waiters.go); at the deadline a waiter looks once
	// more itself, in case a wake-up was lost.
	w := e.waiters.join(st.d, in.MaxNumberOfMessages)
	defer func() { e.waiters.leave(w) }()
	for {
		woken := e.waiters.arm(w)
		// Each attempt may wait coldReadBudget for cold reads, but none
		// past the wait's end plus that budget: a receive answers within
		// wait + coldReadBudget, whatever its attempts met.
		in.coldBy = time.Now().Add(coldReadBudget)
		if last := deadline.Add(coldReadBudget); last.Before(in.coldBy) {
			in.coldBy = last
		}
		msgs, st, err = e.receiveOnce(ctx, ref, in)
		if err != nil || len(msgs) > 0 {
			return msgs, err
		}
		if st.d != w.w.d { // purged or recreated: wait on the new data range
			e.waiters.leave(w)
			w = e.waiters.join(st.d, in.MaxNumberOfMessages)
			continue
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, nil
		}
		timer := time.NewTimer(left)
		select {
		case <-woken:
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return nil, ctx.Err()
		}
		timer.Stop()
	}
}

// receiveState is what a receive attempt learned about the queue.
type receiveState struct {
	d           did
	waitSeconds int
}

// receiveOnce looks for ready messages with a cheap read and only then
// claims them in a transaction.
func (e *Engine) receiveOnce(ctx context.Context, ref queues.Ref, in ReceiveInput) ([]Message, receiveState, error) {
	if e.ready.get(ref) {
		msgs, err := e.claimAdmitted(ctx, ref, in)
		if err != nil || len(msgs) > 0 {
			return msgs, receiveState{}, err
		}
		e.ready.set(ref, false)
	}
	var (
		st    receiveState
		ready bool
	)
	began := e.scanSince()
	err := e.store.View(ctx, func(r kv.Reader) error {
		q, err := e.catalog.Read(ctx, r, ref)
		if err != nil {
			return err
		}
		st = receiveState{d: q.DID(), waitSeconds: q.Attributes.ReceiveMessageWaitTimeSeconds}
		now := e.clock().UnixMilli()
		for shard := range uint8(e.opts.Shards) {
			entries, err := e.scanReady(ctx, r, st.d, shard, now, began, 1)
			if err != nil {
				return err
			}
			if len(entries) > 0 {
				ready = true
				return nil
			}
		}
		return nil
	})
	if err != nil || !ready {
		return nil, st, err
	}
	msgs, err := e.claimAdmitted(ctx, ref, in)
	e.ready.set(ref, len(msgs) > 0)
	return msgs, st, err
}

// claimAdmitted claims what in.Admit grants, and tells it how many it
// claimed.
func (e *Engine) claimAdmitted(ctx context.Context, ref queues.Ref, in ReceiveInput) ([]Message, error) {
	if in.Admit == nil {
		return e.claim(ctx, ref, in)
	}
	granted, done, err := in.Admit.AdmitClaim(ctx, ref, in.MaxNumberOfMessages)
	if err != nil {
		return nil, err
	}
	in.MaxNumberOfMessages = granted
	msgs, err := e.claim(ctx, ref, in)
	done(len(msgs))
	return msgs, err
}

type readyEntry struct {
	visibleAt int64
	id        msgID
	group     string // a FIFO queue's entries stand for a whole group
	shard     uint8  // set by scanReady
}

// indexEntries parses scanned index keys of one shard.
func indexEntries(kvs []kv.KV, prefixLen int) []readyEntry {
	entries := make([]readyEntry, 0, len(kvs))
	for _, p := range kvs {
		if at, id, ok := parseIndexKey(p.Key, prefixLen); ok {
			_, _, group := parseEntryValue(p.Value)
			entries = append(entries, readyEntry{visibleAt: at, id: id, group: group})
		}
	}
	return entries
}

// scanReady returns up to limit entries of the shard visible at now,
// starting at the shard's floor, and raises the floor by what it saw.
// began is scanSince's reading, taken before r's snapshot (or the
// transaction's own, snapshotClock): an entry this node commits after the
// snapshot, which the scan cannot see, lies at or above it, however long
// the snapshot's reads took before now was read; another node's, at most
// maxClockSkew below it.
func (e *Engine) scanReady(ctx context.Context, r kv.Reader, d did, shard uint8, now, began int64, limit int) ([]readyEntry, error) {
	floor, err := e.floor(ctx, r, d, shard)
	if err != nil {
		return nil, err
	}
	start := e.floors.scanStart(d, shard, floor, now)
	kvs, err := r.Scan(ctx, indexBound(d, shard, start), indexBound(d, shard, now+1), limit)
	if err != nil {
		return nil, err
	}
	entries := indexEntries(kvs, len(shardPrefix(d, shard)))
	for i := range entries {
		entries[i].shard = shard
	}
	since := min(now, began)
	next, hint := since-maxClockSkew, since-e.opts.ScanMargin.Milliseconds()
	if len(entries) > 0 {
		next = min(next, entries[0].visibleAt)
		hint = min(hint, entries[0].visibleAt)
	}
	e.floors.scanned(d, shard, next, now, len(entries) > 0)
	e.floors.setHint(d, shard, hint, now, start == floor)
	return entries, nil
}

// snapshotClock is the clock reading a scan in tx may raise floors from
// (scanReady): before, taken before tx began, or now, taken in it, when tx
// is serial. Nothing commits while a serial transaction runs, and on the
// local store the wait for its turn is what separates the two readings:
// floors and hints raised from before would trail by that wait and walk
// the entries consumed during it again.
func snapshotClock(tx kv.Txn, before, now int64) int64 {
	if kv.IsSerial(tx) {
		return now
	}
	return before
}

// claimOutcome collects what one claim attempt did, applied only after it
// commits.
type claimOutcome struct {
	msgs    []Message
	claimed []receipt // FIFO: what msgs are, for the attempt record
	taken   []msgID   // standard: what msgs are, so a read-on never takes one twice
	deltas  map[did]delta
	notify  []did         // one entry per message or FIFO group made receivable
	moved   []MessageMove // dead-lettered, or moved by a task
	// windows are a lone claim's shard windows, to keep once it commits,
	// less windowsTaken (claim_kept.go).
	windows      *windowPlan
	windowsTaken []readyEntry
}

func (e *Engine) claim(ctx context.Context, ref queues.Ref, in ReceiveInput) ([]Message, error) {
	var (
		out      claimOutcome
		held     heldShards
		attempts int
	)
	alone := e.receivers.begin(ref)
	defer e.receivers.end(ref)
	update := e.consumerUpdate(ref)
	coldBy := in.coldBy
	if coldBy.IsZero() {
		coldBy = time.Now().Add(coldReadBudget)
	}
	coldCtx, cancel := context.WithDeadline(ctx, coldBy)
	defer cancel()
	// Taken before the transaction begins: no entry this node commits
	// after the claim's snapshot lies below it (claim_kept.go).
	began := e.scanSince()
	mark := e.catalog.Mark()
	round := func(ctx context.Context, fn func(kv.Txn) error) error {
		attempts = 0
		defer held.release() // not held while its cold frames are fetched
		return update(ctx, fn)
	}
	err := e.coldUpdate(ctx, coldCtx, round, func(tx kv.Txn, cold *coldReads) error {
		out = claimOutcome{deltas: map[did]delta{}}
		if attempts++; attempts > 1 { // a conflict: another receiver, likely
			e.receivers.contended(ref)
			alone = false
		}
		q, err := e.claimRecord(ctx, tx, ref, mark)
		if err != nil {
			return err
		}
		c := claimer{e: e, tx: tx, ref: ref, q: q, d: q.DID(), now: e.clock().UnixMilli(), began: began, in: in, out: &out, cold: cold, writesFrom: began}
		c.began = snapshotClock(tx, c.began, c.now)
		if !alone {
			e.windows.drop(c.d)
		}
		c.visibility = q.Attributes.VisibilityTimeout
		if in.VisibilityTimeout != nil {
			c.visibility = *in.VisibilityTimeout
		}
		if q.Attributes.FifoQueue {
			c.groups = newFIFOGroups(tx, e.opts.Shards, c.now)
		}
		if err := c.claimAll(ctx, alone, &held); err != nil {
			return err
		}
		if cold.mustFetch() {
			return errColdPending
		}
		if c.groups != nil {
			return c.finishFIFO(ctx)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if out.windows != nil {
		e.windows.save(out.windows, out.windowsTaken)
	}
	for d, n := range out.deltas {
		e.counts.add(d, n)
	}
	e.waiters.notifyReleased(out.notify)
	if len(out.moved) > 0 && in.OnMove != nil {
		in.OnMove(out.moved)
	}
	return out.msgs, nil
}

// consumerUpdate is how a receive's claim and a delete on ref commit. On a
// standard queue neither need be durable before it is answered: if a
// crash loses it, the message is visible again and delivered again, which
// SQS's at-least-once delivery allows ("you might receive a message even
// after you delete it"), and the next durable commit, such as a send,
// makes it durable first. Waiting for the disk was half of a delete's
// time under load. On a FIFO queue both must be durable: a lost claim
// would hand the group's message to a second consumer while the first
// still works on it (e2e/chaos TestKillDev found such redeliveries after
// kill -9), and a lost delete would hand out a processed head again.
func (e *Engine) consumerUpdate(ref queues.Ref) func(context.Context, func(kv.Txn) error) error {
	if queues.IsFIFOName(ref.Name) {
		return e.store.Update
	}
	return func(ctx context.Context, fn func(kv.Txn) error) error { return kv.UpdateLazy(ctx, e.store, fn) }
}

// claimAll claims what the batch can use, the way the queue and its
// receivers call for.
func (c *claimer) claimAll(ctx context.Context, alone bool, held *heldShards) error {
	switch {
	case c.groups != nil:
		return c.claimFIFOShards(ctx)
	case alone:
		return c.claimOldest(ctx, held)
	default:
		return c.claimShards(ctx, held)
	}
}

// claimRecord reads the queue's record for a claim. A standard queue's
// claim may act on one read up to a PollInterval (at most a second) ago,
// unless this node has changed any queue since (queues.ReadRecent): on
// TiKV the read is a round trip of its own. Another node's purge, delete
// or attribute change then reaches this node's receives as late as its
// sends reach this node's long polls; until then a receive may hand out
// messages sent before that purge, as SQS's may for 60 seconds. A FIFO
// queue's claim reads it every time: its groups' order must not see the
// purged range.
func (e *Engine) claimRecord(ctx context.Context, tx kv.Txn, ref queues.Ref, mark queues.ReadMark) (*queues.Record, error) {
	if queues.IsFIFOName(ref.Name) {
		return e.catalog.Read(ctx, tx, ref)
	}
	return e.catalog.ReadRecent(ctx, tx, ref, mark, min(e.opts.PollInterval, time.Second))
}

// claimShards claims from the queue's shards: first those no other
// receiver of this node is claiming from; only if they hold nothing, the
// busy ones too. Then, if the batch is still short, it reads on in the
// shards whose first batch it could not take enough of (claim_readon.go).
func (c *claimer) claimShards(ctx context.Context, held *heldShards) error {
	var full []readOnFrom
	if err := c.claimFirstBatches(ctx, held, &full); err != nil {
		return err
	}
	return c.readOn(ctx, full, c.want, c.takeShuffled)
}

// claimFirstBatches claims from each shard's first batch, adding to full
// the shards that may hold more behind it.
func (c *claimer) claimFirstBatches(ctx context.Context, held *heldShards, full *[]readOnFrom) error {
	shards := c.e.opts.Shards
	start := mrand.IntN(shards)
	for _, busyToo := range []bool{false, true} {
		if busyToo && c.want() < c.in.MaxNumberOfMessages {
			return nil // it has messages, or cold ones to fetch
		}
		for i := range shards {
			if c.want() <= 0 {
				return nil
			}
			shard := uint8((start + i) % shards)
			if !held.take(c.e.claiming, c.d, shard) && !busyToo {
				continue
			}
			if err := c.claimShard(ctx, shard, full); err != nil {
				return err
			}
		}
	}
	return nil
}

type claimer struct {
	e          *Engine
	tx         kv.Txn
	ref        queues.Ref
	q          *queues.Record
	d          did
	now        int64
	began      int64 // the clock reading its scans raise floors from (snapshotClock)
	visibility int
	in         ReceiveInput
	out        *claimOutcome
	groups     *fifoGroups // FIFO queues only
	// cold holds the frames earlier rounds of the claim fetched, and
	// gathers those this one must fetch first (cold_reads.go).
	cold *coldReads
	// writesFrom (ms) is at or below the clock reading of every Update of
	// this node that commits after the claim's snapshot.
	writesFrom int64
}

// coldReadBudget is how long a receive attempt waits, in all, for cold
// messages' segments: a slow blob store must not hold the receive (and its
// hot messages) past an SQS client's usual 5 s deadline. What it gave up on
// stays visible, and the segment is fetched in the background for a later
// receive (cold.go, hydrate). A healthy S3 answers in tens of
// milliseconds; 1 s gave up on a versitygw on a loaded test machine.
const coldReadBudget = 2500 * time.Millisecond

func (c *claimer) claimShard(ctx context.Context, shard uint8, full *[]readOnFrom) error {
	need := c.want()
	// On a serial store nothing else holds or changes an entry while this
	// claim runs, so it reads only the entries it needs: a window past
	// them was a third of a claim's time in a profile of `sluice dev`
	// under load. Elsewhere it reads a window past the entries other
	// receivers hold and tries them in random order, so concurrent
	// receivers of one shard mostly pick different messages instead of
	// queueing on the same locks. A standard queue promises no order.
	limit := need
	if !kv.IsSerial(c.tx) {
		limit = 4*need + 8
	}
	entries, err := c.e.scanReady(ctx, c.tx, c.d, shard, c.now, c.began, limit)
	if err != nil || len(entries) == 0 {
		return err
	}
	if len(entries) == limit {
		*full = append(*full, readOnFrom{shard: shard, last: entries[len(entries)-1], limit: limit})
	}
	return c.takeShuffled(ctx, entries)
}

// takeShuffled locks and takes entries of a shard, in random order unless
// the store is serial (claimShard says why).
func (c *claimer) takeShuffled(ctx context.Context, entries []readyEntry) error {
	if !kv.IsSerial(c.tx) {
		mrand.Shuffle(len(entries), func(i, j int) { entries[i], entries[j] = entries[j], entries[i] })
	}
	_, _, err := c.lockAndTake(ctx, entries)
	return err
}

// lockAndTake locks and takes the entries' messages in order until the
// batch is full, and reports how many it took and how many it could not
// lock; one it could not lock means another receiver is at work on the
// queue.
func (c *claimer) lockAndTake(ctx context.Context, entries []readyEntry) (took, skipped int, err error) {
	skipped, err = lockIndexed(ctx, c.tx, c.d, entries,
		c.want,
		func(id msgID, rec *messageRecord) error {
			if slices.Contains(c.out.taken, id) {
				// Claimed by this transaction with a visibility timeout
				// of 0: its new entry is ready again, and a read-on past
				// the first batch finds it.
				return nil
			}
			took++
			_, err := c.take(ctx, id, rec)
			return err
		})
	if skipped > 0 {
		c.e.receivers.contended(c.ref)
	}
	return took, skipped, err
}

// lockIndexed locks the messages of scanned index entries (of any
// shards), in order and only as many as want() still asks for (a key
// locked and not taken stays locked from other receivers until the commit,
// and on TiKV one taken key sends the whole call to a request per key), and
// hands use each one whose record still points at the entry
// scanned: a record that moved since the scan left that entry behind. It
// returns how many of the entries it tried were locked elsewhere or had
// moved.
func lockIndexed(ctx context.Context, tx kv.Txn, d did, entries []readyEntry, want func() int, use func(msgID, *messageRecord) error) (skipped int, err error) {
	byID := make(map[msgID]readyEntry, len(entries))
	ids := make([]msgID, len(entries))
	for i, en := range entries {
		byID[en.id] = en
		ids[i] = en.id
	}
	keys := messageKeys(d, ids)
	for len(keys) > 0 {
		n := min(want(), len(keys))
		if n <= 0 {
			return skipped, nil
		}
		locked, err := tx.LockSkip(ctx, keys[:n])
		if err != nil {
			return skipped, err
		}
		keys = keys[n:]
		skipped += n - len(locked)
		for _, p := range locked {
			var id msgID
			copy(id[:], p.Key[len(p.Key)-msgIDLen:])
			rec, err := decodeMessage(p.Value)
			if err != nil {
				return skipped, err
			}
			if en := byID[id]; rec.Shard != en.shard || rec.VisibleAt != en.visibleAt {
				skipped++
				continue
			}
			if err := use(id, rec); err != nil {
				return skipped, err
			}
		}
	}
	return skipped, nil
}

// take drops an expired message, moves one received too often to the
// dead-letter queue, or claims it; it reports when the batch is full. A
// FIFO queue's messages go through its groups, which keep the index.
func (c *claimer) take(ctx context.Context, id msgID, rec *messageRecord) (bool, error) {
	if rec.SentAt+int64(c.q.Attributes.MessageRetentionPeriod)*1000 <= c.now {
		c.out.deltas[c.d] = c.out.deltas[c.d].plus(one(rec).neg())
		if c.groups != nil {
			return false, c.groups.remove(ctx, c.d, id, rec)
		}
		return false, rec.remove(c.tx, c.d, id)
	}
	if err := c.e.hydrateIn(c.cold, c.d, id, rec); err != nil {
		// Left where it is: fetched for this claim's next round, or
		// visible to a later receive once the blob store answers; never
		// returned unchecked. In a FIFO group the messages behind it wait
		// too.
		return c.groups != nil || c.want() <= 0, nil
	}
	if rp := c.q.Attributes.RedrivePolicy; rp != nil && rec.ReceiveCount >= rp.MaxReceiveCount {
		moved, err := c.moveToDeadLetter(ctx, id, rec, rp)
		if err != nil || moved {
			return false, err
		}
	}
	if c.groups == nil {
		if err := deleteIndexEntry(c.tx, c.d, rec, id); err != nil {
			return false, err
		}
		c.out.taken = append(c.out.taken, id)
	}
	rec.ReceiveCount++
	if rec.FirstReceive == 0 {
		rec.FirstReceive = c.now
	}
	rec.Gen++
	rec.VisibleAt = c.now + int64(c.visibility)*1000
	var err error
	if c.groups != nil {
		err = c.groups.update(ctx, c.d, id, rec)
		c.out.claimed = append(c.out.claimed, receipt{d: c.d, id: id, gen: rec.Gen})
	} else {
		err = rec.putState(c.tx, c.d, id, entryInFlight)
	}
	if err != nil {
		return false, err
	}
	c.out.msgs = append(c.out.msgs, c.message(id, rec))
	return c.want() <= 0, nil
}

// want is how many more messages the claim can use: the batch, less
// those it took and the cold ones it will fetch before it runs again.
func (c *claimer) want() int {
	n := c.in.MaxNumberOfMessages - len(c.out.msgs)
	if c.cold != nil {
		n -= len(c.cold.pending)
	}
	return n
}

func (c *claimer) message(id msgID, rec *messageRecord) Message {
	attrs := msgattr.Select(rec.Attrs, c.in.MessageAttributeNames)
	m := Message{
		MessageID:              formatMessageID(id),
		ReceiptHandle:          c.e.handles.seal(c.ref, receipt{d: c.d, id: id, gen: rec.Gen}),
		Body:                   string(rec.Body),
		MD5OfBody:              rec.MD5Body,
		MD5OfMessageAttributes: msgattr.MD5OfAttributes(attrs),
		MessageAttributes:      attrs,
		TraceHeader:            rec.SysAttrs[SysAWSTraceHeader].StringValue,
	}
	if len(c.in.AttributeNames) > 0 {
		m.Attributes = selectSystem(rec, c.in.AttributeNames)
	}
	return m
}

func selectSystem(rec *messageRecord, names []string) map[string]string {
	all := map[string]string{
		SysSentTimestamp:                    strconv.FormatInt(rec.SentAt, 10),
		SysApproximateReceiveCount:          strconv.Itoa(rec.ReceiveCount),
		SysApproximateFirstReceiveTimestamp: strconv.FormatInt(rec.FirstReceive, 10),
	}
	if rec.SenderID != "" {
		all[SysSenderID] = rec.SenderID
	}
	if th, ok := rec.SysAttrs[SysAWSTraceHeader]; ok {
		all[SysAWSTraceHeader] = th.StringValue
	}
	if rec.DLQSource != "" {
		all[SysDeadLetterQueueSourceArn] = rec.DLQSource
	}
	if rec.Group != "" {
		all[SysMessageGroupID] = rec.Group
	}
	if rec.DedupID != "" {
		all[SysMessageDeduplicationID] = rec.DedupID
	}
	if rec.Seq != 0 {
		all[SysSequenceNumber] = fifoSeqNumber(rec.Seq)
	}
	if slices.Contains(names, queues.AttrAll) {
		return all
	}
	out := make(map[string]string, len(names))
	for _, n := range names {
		if v, ok := all[n]; ok {
			out[n] = v
		}
	}
	return out
}

// shardLocks lets a node's receivers claim from different shards: they
// would otherwise contend for the same messages' locks, which costs every
// loser a request (and a retry on a conflict).
type shardLocks struct{ locks sync.Map } // floorKeyT -> *sync.Mutex

// heldShards are the shard locks one claim holds, across its retries.
type heldShards struct{ held []*sync.Mutex }

// take reports whether this claim holds the shard's lock, taking it if free.
func (h *heldShards) take(l *shardLocks, d did, shard uint8) bool {
	v, _ := l.locks.LoadOrStore(floorKeyT{d, shard}, &sync.Mutex{})
	mu := v.(*sync.Mutex)
	if slices.Contains(h.held, mu) {
		return true
	}
	if !mu.TryLock() {
		return false
	}
	h.held = append(h.held, mu)
	return true
}

func (h *heldShards) release() {
	for _, mu := range h.held {
		mu.Unlock()
	}
	h.held = nil
}
