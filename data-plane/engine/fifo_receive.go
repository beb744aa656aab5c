package engine

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"slices"

	"github.com/sluice-mq/sluice/internal/kv"
)

// claimFIFOShards serves the shards in the order of their longest-waiting
// ready group, so groups take turns across shards too: a group that was
// just served is indexed again behind the ones waiting. (A random first
// shard, as standard queues use, favours the groups of shards that follow
// empty ones.) Each shard is scanned once, for as many groups as the batch
// could use; within a shard the oldest come first. If the batch is still
// short, it reads on past groups it could not serve (claim_readon.go).
func (c *claimer) claimFIFOShards(ctx context.Context) error {
	var (
		ready [][]readyEntry
		full  []readOnFrom
	)
	for shard := range uint8(c.e.opts.Shards) {
		limit := c.want() + 4
		entries, err := c.e.scanReady(ctx, c.tx, c.d, shard, c.now, c.began, limit)
		if err != nil {
			return err
		}
		if len(entries) > 0 {
			ready = append(ready, entries)
		}
		if len(entries) == limit {
			full = append(full, readOnFrom{shard: shard, last: entries[len(entries)-1], limit: limit})
		}
	}
	slices.SortStableFunc(ready, func(a, b []readyEntry) int { return cmp.Compare(a[0].visibleAt, b[0].visibleAt) })
	for _, entries := range ready {
		if c.want() <= 0 {
			return nil
		}
		if err := c.claimGroups(ctx, entries); err != nil {
			return err
		}
	}
	return c.readOn(ctx, full, c.want, c.claimGroups)
}

// claimGroups claims from the groups of a shard's ready entries, in order.
func (c *claimer) claimGroups(ctx context.Context, entries []readyEntry) error {
	return c.groups.lockGroups(ctx, c.d, entries, c.want, func(group string, st *groupState) error {
		st.reindex, st.dirty = true, true
		return c.claimGroup(ctx, group, st.rec.scanFrom())
	})
}

// claimGroup takes the group's messages in order until the batch is full,
// the group is empty, or a message is not visible (in flight, or delayed):
// no message is delivered while an earlier one of its group is in flight.
func (c *claimer) claimGroup(ctx context.Context, group string, from uint64) error {
	return walkGroup(ctx, c.tx, c.d, group, from, c.now, c.want, func(o orderEntry, rec *messageRecord) (bool, error) {
		return c.take(ctx, o.id, rec)
	})
}

// finishFIFO brings the groups up to date and remembers the receive's
// attempt id.
func (c *claimer) finishFIFO(ctx context.Context) error {
	if err := c.groups.finish(ctx); err != nil {
		return err
	}
	c.out.notify = append(c.out.notify, c.groups.notify...)
	if c.in.ReceiveRequestAttemptID == "" || len(c.out.claimed) == 0 {
		return nil
	}
	a := attemptRecord{expires: c.now + fifoWindow, claimed: c.out.claimed}
	if err := c.tx.Set(attemptKey(c.d, c.in.ReceiveRequestAttemptID), a.encode()); err != nil {
		return err
	}
	return c.tx.Set(expiryKey(c.d, a.expires, "r"+c.in.ReceiveRequestAttemptID), []byte{1})
}

// attemptRecord is what a FIFO receive with a ReceiveRequestAttemptId
// claimed, for its retries.
type attemptRecord struct {
	expires int64 // unix ms
	claimed []receipt
}

func (a attemptRecord) encode() []byte {
	b := binary.AppendVarint([]byte{1}, a.expires)
	b = binary.AppendUvarint(b, uint64(len(a.claimed)))
	for _, r := range a.claimed {
		b = append(b, r.id[:]...)
		b = binary.AppendUvarint(b, uint64(r.gen))
	}
	return b
}

func decodeAttempt(d did, v []byte) (*attemptRecord, error) {
	if len(v) == 0 || v[0] != 1 {
		return nil, errors.New("attempt record: bad format")
	}
	dec := recordDecoder{b: v[1:]}
	a := &attemptRecord{expires: dec.varint()}
	n := dec.uvarint()
	for i := uint64(0); i < n && dec.err == nil; i++ {
		r := receipt{d: d}
		if len(dec.b) < msgIDLen {
			dec.fail()
			break
		}
		copy(r.id[:], dec.b)
		dec.b = dec.b[msgIDLen:]
		r.gen = uint32(dec.uvarint())
		a.claimed = append(a.claimed, r)
	}
	return a, dec.err
}

// replayAttempt answers a retried FIFO receive (the claimer's e, ref and
// in set): the messages its first attempt claimed, with the same receipt
// handles, if none of them has been deleted, received again or made
// visible since. Otherwise the retry is a new receive.
func (c claimer) replayAttempt(ctx context.Context) ([]Message, bool, error) {
	var (
		msgs     []Message
		replayed bool
	)
	e, ref, in := c.e, c.ref, c.in
	err := e.store.View(ctx, func(r kv.Reader) error {
		q, err := e.catalog.Read(ctx, r, ref)
		if err != nil || !q.Attributes.FifoQueue {
			return err
		}
		d := q.DID()
		v, err := r.Get(ctx, attemptKey(d, in.ReceiveRequestAttemptID))
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		a, err := decodeAttempt(d, v)
		if err != nil {
			return err
		}
		now := e.clock().UnixMilli()
		if a.expires <= now {
			return nil
		}
		c.q, c.d = q, d
		for _, claimed := range a.claimed {
			rec, err := getMessage(ctx, r, d, claimed.id)
			if err != nil {
				return err
			}
			if rec == nil || rec.Gen != claimed.gen || rec.VisibleAt <= now {
				msgs = nil
				return nil
			}
			if err := e.hydrate(ctx, d, claimed.id, rec); err != nil {
				return err
			}
			msgs = append(msgs, c.message(claimed.id, rec))
		}
		replayed = true
		return nil
	})
	return msgs, replayed, err
}
