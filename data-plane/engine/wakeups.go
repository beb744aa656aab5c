package engine

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/internal/kv"
)

// The recent-changes index tells other nodes' watchers which queues
// changed (waiters.go). After a commit that notifies, a node publishes the
// data id under R/{ms}{did}{node}, where ms is its clock after the commit:
// asynchronously, so a send waits for nothing more, and coalesced, so a
// busy queue costs one small key per publishGap, not one per send. A node
// with watchers reads R/ from just before its last read every
// PollInterval: one scan for all its queues.
//
// Like index entries, R/ entries may commit after a reader passed their
// time. The reader starts ScanMargin before its last reading and, once per
// recentWideRead, maxClockSkew before the clock, remembering the entries it
// has seen. Entries are deleted recentKeep after their time, by whichever
// node publishes next.
const (
	recentWideRead = time.Second
	recentKeep     = time.Minute
	recentPage     = 1000
)

var recentPrefix = []byte("R/")

// recentKey is R/{ms BE}{did}{node tag}.
func recentKey(at int64, d did, tag [8]byte) []byte {
	k := make([]byte, 0, len(recentPrefix)+8+didLen+len(tag))
	k = append(k, recentPrefix...)
	k = binary.BigEndian.AppendUint64(k, uint64(max(at, 0)))
	k = append(k, d[:]...)
	return append(k, tag[:]...)
}

func parseRecentKey(k []byte) (at int64, d did, tag [8]byte, ok bool) {
	rest := k[len(recentPrefix):]
	if len(rest) != 8+didLen+len(tag) {
		return 0, d, tag, false
	}
	copy(d[:], rest[8:])
	copy(tag[:], rest[8+didLen:])
	return int64(binary.BigEndian.Uint64(rest)), d, tag, true
}

// lookAhead counts the data range's messages receivable now, up to limit
// (a purged or deleted queue's old range counts as wakeAll), or else
// reports when the earliest in-flight or delayed one becomes so (0:
// none). It reads the ready part of each shard as a receive does (raising
// floors and hints), then the first entry after now.
func (e *Engine) lookAhead(ctx context.Context, d did, limit int) (ready int, next int64, err error) {
	began := e.scanSince()
	err = e.store.View(ctx, func(r kv.Reader) error {
		ready, next = 0, 0
		// A purged or deleted queue's old range: its waiters must look
		// at the queue again.
		if _, err := r.Get(ctx, queues.GarbageKey(d)); !isNotFound(err) {
			if err == nil {
				ready = wakeAll
			}
			return err
		}
		now := e.clock().UnixMilli()
		for shard := range uint8(e.opts.Shards) {
			entries, err := e.scanReady(ctx, r, d, shard, now, began, limit-ready)
			if err != nil {
				return err
			}
			if ready += len(entries); ready >= limit {
				return nil
			}
		}
		if ready > 0 {
			return nil
		}
		for shard := range uint8(e.opts.Shards) {
			kvs, err := r.Scan(ctx, indexBound(d, shard, now+1), indexBound(d, shard, math.MaxInt64), 1)
			if err != nil {
				return err
			}
			if entries := indexEntries(kvs, len(shardPrefix(d, shard))); len(entries) > 0 && (next == 0 || entries[0].visibleAt < next) {
				next = entries[0].visibleAt
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("look at data range %x: %w", d, err)
	}
	return ready, next, nil
}

// readRecent runs while this node has watchers: every PollInterval it
// reads the R/ entries other nodes wrote since its last read and prods the
// watchers of their queues.
func (ws *waiters) readRecent() {
	defer ws.wg.Done()
	e := ws.e
	ticker := time.NewTicker(e.opts.PollInterval)
	defer ticker.Stop()
	margin := e.opts.ScanMargin.Milliseconds()
	now := e.clock().UnixMilli()
	from, wideAt := now-margin, now+recentWideRead.Milliseconds()
	seen := map[string]int64{} // entries at or above now - maxClockSkew already acted on
	for {
		select {
		case <-ws.ctx.Done():
			return
		case <-ticker.C:
		}
		ws.mu.Lock()
		if len(ws.watchers) == 0 {
			ws.scanning = false
			ws.mu.Unlock()
			return
		}
		ws.mu.Unlock()
		now := e.clock().UnixMilli()
		start := from
		if now >= wideAt {
			start, wideAt = min(start, now-maxClockSkew), now+recentWideRead.Milliseconds()
		}
		changed, err := ws.recentChanges(start, seen)
		if err != nil {
			if ws.ctx.Err() == nil {
				e.log.Warn("long poll: read recent changes", "error", err)
			}
			continue // from stays: the next read covers this one
		}
		for _, d := range changed {
			ws.prodWatcher(d)
		}
		for k, at := range seen {
			if at < now-maxClockSkew { // no read starts this low again
				delete(seen, k)
			}
		}
		from = now - margin
	}
}

// recentChanges returns the data ids of the R/ entries from start on that
// other nodes wrote and seen does not hold, and adds them to seen.
func (ws *waiters) recentChanges(start int64, seen map[string]int64) ([]did, error) {
	var kvs []kv.KV
	err := ws.e.store.View(ws.ctx, func(r kv.Reader) error {
		kvs = kvs[:0]
		from, end := recentKey(start, did{}, [8]byte{}), kv.PrefixEnd(recentPrefix)
		for {
			page, err := r.Scan(ws.ctx, from, end, recentPage)
			if err != nil {
				return err
			}
			kvs = append(kvs, page...)
			if len(page) < recentPage {
				return nil
			}
			from = append(slices.Clone(page[len(page)-1].Key), 0)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("scan recent changes: %w", err)
	}
	var out []did
	for _, p := range kvs {
		at, d, tag, ok := parseRecentKey(p.Key)
		if _, dup := seen[string(p.Key)]; !ok || tag == ws.tag || dup {
			continue
		}
		seen[string(p.Key)] = at
		out = append(out, d)
	}
	return out, nil
}

// publish writes the pending data ids under R/ until none are left, one
// lazy transaction (no fsync of its own: a lost entry only delays a
// wake-up) at most every publishGap, and deletes old entries once per
// recentKeep.
func (ws *waiters) publish() {
	defer ws.wg.Done()
	e := ws.e
	gap := e.opts.PollInterval / 4
	for {
		ws.mu.Lock()
		batch := ws.pending
		if len(batch) == 0 || ws.ctx.Err() != nil {
			ws.publishing = false
			ws.mu.Unlock()
			return
		}
		ws.pending = map[did]struct{}{}
		cleanup := e.clock().UnixMilli()-ws.lastCleanup >= recentKeep.Milliseconds()
		if cleanup {
			ws.lastCleanup = e.clock().UnixMilli()
		}
		ws.mu.Unlock()
		err := kv.UpdateLazy(ws.ctx, e.store, func(tx kv.Txn) error {
			now := e.clock().UnixMilli()
			for d := range batch {
				if err := tx.Set(recentKey(now, d, ws.tag), []byte{1}); err != nil {
					return err
				}
			}
			return nil
		})
		if err == nil && cleanup {
			err = ws.deleteOldRecent()
		}
		if err != nil && ws.ctx.Err() == nil {
			e.log.Warn("long poll: publish changes", "error", err)
		}
		select {
		case <-ws.ctx.Done():
		case <-time.After(gap):
		}
	}
}

// deleteOldRecent deletes the R/ entries older than recentKeep, a page per
// transaction.
func (ws *waiters) deleteOldRecent() error {
	end := recentKey(ws.e.clock().Add(-recentKeep).UnixMilli(), did{}, [8]byte{})
	for {
		n := 0
		err := kv.UpdateLazy(ws.ctx, ws.e.store, func(tx kv.Txn) error {
			kvs, err := tx.Scan(ws.ctx, recentPrefix, end, recentPage)
			n = len(kvs)
			for _, p := range kvs {
				if err == nil {
					err = tx.Delete(p.Key)
				}
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("delete old recent changes: %w", err)
		}
		if n < recentPage {
			return nil
		}
	}
}
