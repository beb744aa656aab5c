package engine

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/internal/kv"
)

// Stats answers what a queue holds (GetQueueAttributes' approximate
// counts, QueueStorage) and ends the long polls of deleted queues. An
// engine has one, adding its own unflushed counts and waking its own
// waiters; NewStats builds one for a node without an engine (the control
// plane): no receipt key, no background loops, only flushed counts, and
// wake-ups published under R/ for the nodes that hold the long polls.
type Stats struct {
	store   kv.Store
	catalog *queues.Catalog
	clock   func() time.Time
	shards  int
	// counts are the engine's unflushed deltas; nil without an engine.
	counts *countDeltas
	// gone wakes the long polls of a data range that was deleted or purged.
	gone func(ctx context.Context, d did) error
}

// StatsOptions configures a Stats without an engine. Zero values mean the
// engine's defaults.
type StatsOptions struct {
	Clock func() time.Time
	// Shards must be the engines' visibility-index shards (default 8).
	Shards int
}

// NewStats returns a Stats over store for a node without an engine.
func NewStats(store kv.Store, catalog *queues.Catalog, opts StatsOptions) *Stats {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Shards <= 0 {
		opts.Shards = 8
	}
	var tag [8]byte
	_, _ = rand.Read(tag[:])
	s := &Stats{store: store, catalog: catalog, clock: opts.Clock, shards: opts.Shards}
	s.gone = func(ctx context.Context, d did) error { return publishRecent(ctx, store, opts.Clock, tag, d) }
	return s
}

// publishRecent writes one R/ entry for d, as an engine's publisher does
// (wakeups.go), so the nodes with long polls on d look at it: they find
// its garbage marker and end them. Lazy: a lost entry only lets those long
// polls run to the end of their wait.
func publishRecent(ctx context.Context, store kv.Store, clock func() time.Time, tag [8]byte, d did) error {
	err := kv.UpdateLazy(ctx, store, func(tx kv.Txn) error {
		return tx.Set(recentKey(clock().UnixMilli(), d, tag), []byte{1})
	})
	if err != nil {
		return fmt.Errorf("publish queue change: %w", err)
	}
	return nil
}

// QueuesGone ends the long polls of the data ranges the catalog deleted or
// purged (Catalog.Delete, Purge, DeleteAccount), on every node.
func (s *Stats) QueuesGone(ctx context.Context, old ...queues.DataID) error {
	for _, d := range old {
		if err := s.gone(ctx, d); err != nil {
			return err
		}
	}
	return nil
}

// maxCountScan caps how many not-visible index entries a count reads;
// beyond it the counts are a lower bound, which "approximate" allows.
const maxCountScan = 100_000

// GetQueueAttributes returns the named attributes; "All" returns every one.
func (s *Stats) GetQueueAttributes(ctx context.Context, ref queues.Ref, names []string) (map[string]string, error) {
	for _, n := range names {
		if n != queues.AttrAll && !queues.KnownAttribute(n) {
			return nil, errorf(sqserr.CodeInvalidAttributeName, "Unknown Attribute %s.", n)
		}
	}
	all := slices.Contains(names, queues.AttrAll)
	want := func(n string) bool { return all || slices.Contains(names, n) }
	out := map[string]string{}
	var d did
	err := s.store.View(ctx, func(r kv.Reader) error {
		q, err := queues.Load(ctx, r, ref)
		if err != nil {
			return err
		}
		for n, v := range q.Attributes.Strings() {
			if want(n) {
				out[n] = v
			}
		}
		if want(queues.AttrQueueArn) {
			out[queues.AttrQueueArn] = ref.ARN()
		}
		if want(queues.AttrCreatedTimestamp) {
			out[queues.AttrCreatedTimestamp] = strconv.FormatInt(q.CreatedAt, 10)
		}
		if want(queues.AttrLastModifiedTimestamp) {
			out[queues.AttrLastModifiedTimestamp] = strconv.FormatInt(q.LastModified, 10)
		}
		d = q.DID()
		return nil
	})
	if err != nil {
		return nil, err
	}
	if want(queues.AttrApproximateNumberOfMessages) || want(queues.AttrApproximateNumberOfMessagesNotVisible) || want(queues.AttrApproximateNumberOfMessagesDelayed) {
		var c messageCounts
		err := s.counted(ctx, d, func(r kv.Reader) (err error) {
			c, err = s.readCounts(ctx, r, d)
			return err
		})
		if err != nil {
			return nil, err
		}
		for n, v := range map[string]int64{
			queues.AttrApproximateNumberOfMessages:           c.visible,
			queues.AttrApproximateNumberOfMessagesNotVisible: c.inFlight,
			queues.AttrApproximateNumberOfMessagesDelayed:    c.delayed,
		} {
			if want(n) {
				out[n] = strconv.FormatInt(v, 10)
			}
		}
	}
	return out, nil
}

// counted runs fn, which adds this node's unflushed delta of d to the
// flushed counts, on a snapshot taken while no flush of d is between
// taking the delta and committing it (countDeltas.flushing): fn finds the
// delta in memory or in the snapshot, never in neither. Not for use inside
// a transaction: a flush holds the lock while it waits to commit.
func (s *Stats) counted(ctx context.Context, d did, fn func(r kv.Reader) error) error {
	if s.counts != nil {
		mu := s.counts.stripe(d)
		mu.RLock()
		defer mu.RUnlock()
	}
	return s.store.View(ctx, fn)
}

// pending is the engine's unflushed count delta of d; none without one.
func (s *Stats) pending(d did) delta {
	if s.counts == nil {
		return delta{}
	}
	return s.counts.pending(d)
}

type messageCounts struct{ visible, inFlight, delayed int64 }

// readCounts counts a queue's messages: the total from every node's
// flushed count plus this node's unflushed delta, and the not-visible ones
// from the index entries that become visible later.
func (s *Stats) readCounts(ctx context.Context, r kv.Reader, d did) (messageCounts, error) {
	stored, err := storedCount(ctx, r, d)
	if err != nil {
		return messageCounts{}, err
	}
	total := stored.plus(s.pending(d)).n
	var mc messageCounts
	now := s.clock().UnixMilli()
	for shard := range uint8(s.shards) {
		end := kv.PrefixEnd(shardPrefix(d, shard))
		kvs, err := r.Scan(ctx, indexBound(d, shard, now+1), end, maxCountScan)
		if err != nil {
			return messageCounts{}, err
		}
		for _, p := range kvs {
			kind, n, _ := parseEntryValue(p.Value)
			if kind == entryInFlight {
				mc.inFlight += n
			} else {
				mc.delayed += n
			}
		}
	}
	mc.visible = max(total-mc.inFlight-mc.delayed, 0)
	return mc, nil
}

// QueueStorage is what a queue keeps, and where.
type QueueStorage struct {
	Messages  int64 // about how many
	HotBytes  int64 // bodies and attributes in the store
	ColdBytes int64 // bodies and attributes in segments on the blob store
	Segments  int64 // segment objects on the blob store
}

// QueueStorage returns the queue's stored messages and bytes, hot and
// cold, as far as every node has flushed its counts (about a second).
// QueueBytes returns the hot and cold bytes of the queue whose record is
// q, read in r: for a caller walking many queues in one read (the usage
// sampler), without QueueStorage's segment count.
func (s *Stats) QueueBytes(ctx context.Context, r kv.Reader, q *queues.Record) (hot, cold int64, err error) {
	d := q.DID()
	stored, err := storedCount(ctx, r, d)
	if err != nil {
		return 0, 0, err
	}
	stored = stored.plus(s.pending(d))
	return max(stored.hot(), 0), max(stored.cold, 0), nil
}

func (s *Stats) QueueStorage(ctx context.Context, ref queues.Ref) (QueueStorage, error) {
	var (
		out QueueStorage
		d   did
	)
	err := s.store.View(ctx, func(r kv.Reader) error {
		q, err := s.catalog.Read(ctx, r, ref)
		if err == nil {
			d = q.DID()
		}
		return err
	})
	if err != nil {
		return out, err
	}
	err = s.counted(ctx, d, func(r kv.Reader) error {
		stored, err := storedCount(ctx, r, d)
		if err != nil {
			return err
		}
		stored = stored.plus(s.pending(d))
		out = QueueStorage{Messages: max(stored.n, 0), HotBytes: max(stored.hot(), 0), ColdBytes: max(stored.cold, 0)}
		prefix := segmentPrefix(d)
		segs, err := r.Scan(ctx, prefix, kv.PrefixEnd(prefix), 0)
		out.Segments = int64(len(segs))
		return err
	})
	return out, err
}
