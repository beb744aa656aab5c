package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/sluice-mq/sluice/data-plane/tiering/segment"
	"github.com/sluice-mq/sluice/internal/kv"
)

// No store transaction waits on the blob store. A transaction holds locks
// while it runs: on the local store the writer lock, which every write of
// every tenant waits for; on TiKV the keys it locked, among them a FIFO
// group's, which that group's sends and receives wait for. A read of a slow
// blob store inside one held them for up to the cold-read budget
// (e2e/chaos TestBlobStoreSlow found FIFO receives and sends past a
// client's 5 s deadline). So a transaction reads cold frames only from the
// cache or from what its call fetched before; a frame neither of those
// holds is pending, and the call drops the transaction, fetches the
// pending frames outside it, and runs it again (coldUpdate).

// errColdPending ends a transaction that met cold frames to fetch first.
var errColdPending = fmt.Errorf("cold frames to fetch first: %w", kv.ErrDropped)

// frameAt names one cold frame: its segment's key and offset.
type frameAt struct {
	key    string
	offset int64
}

// pendingFrame is a frame a transaction wanted and could not read.
type pendingFrame struct {
	at  frameAt
	ref segment.Ref
	id  msgID
}

// fetchedFrame is a frame's checked payload, for the message it holds.
type fetchedFrame struct {
	id      msgID
	payload []byte
}

// coldReads carries one call's cold frames across its transactions.
type coldReads struct {
	// wait: this round's transaction may leave frames pending; otherwise
	// it skips what it cannot read at once.
	wait    bool
	pending []pendingFrame
	fetched map[frameAt]fetchedFrame
	failed  map[frameAt]error // fetched and failed: skipped, not pending again
}

// maxColdRounds bounds a call's transactions: a FIFO group's cold run in
// an uncached segment needs three (its first frame read by range, the
// second fetching the segment whole, then the rest from the cache).
const maxColdRounds = 4

// begin readies reads for a transaction (each attempt of it, conflicts
// included).
func (r *coldReads) begin() { r.pending = r.pending[:0] }

// mustFetch reports whether the transaction that just ran is to be
// dropped for frames to fetch first (never, for a call without cold
// reads). A claim with pending frames is always short of its batch:
// want() counts them.
func (r *coldReads) mustFetch() bool { return r != nil && len(r.pending) > 0 }

// coldUpdate runs fn in transactions of update until one commits without
// frames to fetch first: a round whose fn returns errColdPending is
// dropped, its pending frames are fetched outside any transaction within
// coldCtx, and fn runs again. The last round (maxColdRounds, or coldCtx
// ended) skips what it cannot read at once.
func (e *Engine) coldUpdate(ctx, coldCtx context.Context, update func(context.Context, func(kv.Txn) error) error, fn func(kv.Txn, *coldReads) error) error {
	reads := &coldReads{}
	for round := 1; ; round++ {
		reads.wait = e.cold != nil && round < maxColdRounds && coldCtx.Err() == nil
		err := update(ctx, func(tx kv.Txn) error {
			reads.begin()
			return fn(tx, reads)
		})
		if !errors.Is(err, errColdPending) || !reads.wait {
			return err
		}
		e.fetch(coldCtx, reads)
	}
}

// hydrateIn is hydrate inside a transaction: it never waits on the blob
// store. A frame neither cached nor fetched by an earlier round is left
// pending (errColdPending) when reads.wait, and skipped
// (errColdUnavailable) otherwise.
func (e *Engine) hydrateIn(reads *coldReads, d did, id msgID, rec *messageRecord) error {
	if rec.Cold == nil || rec.Body != nil {
		return nil
	}
	c := e.cold
	if c == nil {
		return errNoColdTier
	}
	at := frameAt{key: segmentBlobKey(d, rec.Cold.seg), offset: rec.Cold.frame.Offset}
	now := time.Now()
	if f, ok := reads.fetched[at]; ok && f.id == id {
		return e.fill(rec, at.key, id, f.payload, now)
	}
	if err := c.recheck(at.key, at.offset, now); err != nil {
		return fmt.Errorf("read cold message %s: %w", formatMessageID(id), err)
	}
	frame, cached, err := c.reader.CachedFrame(at.key, rec.Cold.frame)
	if cached {
		var payload []byte
		if err != nil {
			e.frameCorrupt(at.key, id, rec.Cold.frame, err, now)
		} else if payload, err = e.decodeFrame(at.key, id, rec.Cold.frame, frame, now); err == nil {
			return e.fill(rec, at.key, id, payload, now)
		}
		return fmt.Errorf("read cold message %s: %w", formatMessageID(id), err)
	}
	if err := reads.failed[at]; err != nil {
		return fmt.Errorf("read cold message %s: %w", formatMessageID(id), err)
	}
	if slices.ContainsFunc(reads.pending, func(p pendingFrame) bool { return p.at == at }) {
		return errColdPending // met twice in one round (a claim reading on)
	}
	down, slow := c.backingOff(now)
	if slow && !down {
		c.prefetch.start(at.key) // it comes in the background
	}
	if down || slow || !reads.wait {
		return errColdUnavailable
	}
	reads.pending = append(reads.pending, pendingFrame{at: at, ref: rec.Cold.frame, id: id})
	return errColdPending
}

// fetch reads the pending frames, at once, outside any transaction.
func (e *Engine) fetch(ctx context.Context, reads *coldReads) {
	if reads.fetched == nil {
		reads.fetched, reads.failed = map[frameAt]fetchedFrame{}, map[frameAt]error{}
	}
	var (
		wg sync.WaitGroup
		mu sync.Mutex
	)
	seen := make(map[frameAt]bool, len(reads.pending))
	for _, p := range reads.pending {
		if seen[p.at] {
			continue
		}
		seen[p.at] = true
		wg.Go(func() {
			payload, err := e.readFrame(ctx, p.at.key, p.id, p.ref)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				reads.failed[p.at] = err
				return
			}
			reads.fetched[p.at] = fetchedFrame{id: p.id, payload: payload}
		})
	}
	wg.Wait()
	reads.pending = reads.pending[:0]
}
