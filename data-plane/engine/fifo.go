package engine

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math"

	"github.com/sluice-mq/sluice/internal/kv"
)

// FIFO queues keep each message group in order with three kinds of keys:
//
//   - the order list Q/{did}/o/{group}/{seq} holds every live message of
//     the group by sequence number, with its visibility time and whether it
//     was ever received, so the group's state is read without the bodies;
//   - the group record Q/{did}/g/{group} names the group's head (its first
//     live message), where the group's one index entry sits, and the last
//     sequence number given;
//   - the visibility index holds one entry per group, not per message: at
//     the head's id, at the time the whole group may be received again
//     (after the last of its in-flight messages, or the head's delay), and
//     with the group id in its value, so a receiver knows which group
//     record to lock.
//
// Every change to a group writes its group record, so transactions on one
// group serialize on it, and every change recomputes the index entry
// (reindex) in the same transaction. A receive locks a ready group, takes
// its messages in order up to the batch size and stops at the first one
// that is not visible; while any is in flight the group's entry lies in the
// future. A group whose head becomes receivable again is indexed at the
// current time, behind the groups already waiting: groups take turns,
// so one busy group does not starve the others.

// seqShift leaves room for 2^20 sequence numbers a millisecond in a group.
const seqShift = 20

// reindexScan bounds the order entries read to find a group's in-flight
// messages: a receive claims at most 10, and the group is not received
// again until they are all visible.
const reindexScan = 32

// groupRecord is a FIFO group's state.
type groupRecord struct {
	head msgID  // the message the index entry names
	at   int64  // the index entry's time; 0 when there is none
	last uint64 // the last sequence number given in the group
	// from is a sequence number no live message of the group is below:
	// the head's when the group was last reindexed. Scans of the order
	// list start there, not at the group's first key: a group's deleted
	// messages leave tombstones at the front of its order list until
	// Pebble compacts them away, and every scan from the front stepped
	// over all of them (a third of a FIFO queue's receive CPU under load).
	// 0 (records written before it existed) scans from the front.
	from uint64
}

func (g *groupRecord) encode() []byte {
	b := append([]byte{1}, g.head[:]...)
	b = binary.AppendVarint(b, g.at)
	b = binary.AppendUvarint(b, g.last)
	return binary.AppendUvarint(b, g.from)
}

func decodeGroup(v []byte) (*groupRecord, error) {
	if len(v) < 1+msgIDLen || v[0] != 1 {
		return nil, errors.New("group record: bad format")
	}
	g := &groupRecord{}
	copy(g.head[:], v[1:])
	d := recordDecoder{b: v[1+msgIDLen:]}
	g.at, g.last = d.varint(), d.uvarint()
	if len(d.b) > 0 && d.err == nil {
		g.from = d.uvarint()
	}
	return g, d.err
}

// scanFrom is where a scan of the group's order list may start.
func (g *groupRecord) scanFrom() uint64 {
	if g == nil {
		return 0
	}
	return g.from
}

// orderEntry is one message in a group's order list.
type orderEntry struct {
	seq       uint64
	id        msgID
	visibleAt int64
	received  bool
}

func (o orderEntry) value() []byte {
	b := append(o.id[:], 0, 0, 0, 0, 0, 0, 0, 0, 0)
	binary.BigEndian.PutUint64(b[msgIDLen:], uint64(o.visibleAt))
	if o.received {
		b[msgIDLen+8] = 1
	}
	return b
}

func parseOrderEntry(p kv.KV, prefixLen int) (orderEntry, bool) {
	if len(p.Key) != prefixLen+8 || len(p.Value) != msgIDLen+9 {
		return orderEntry{}, false
	}
	o := orderEntry{seq: binary.BigEndian.Uint64(p.Key[prefixLen:])}
	copy(o.id[:], p.Value)
	o.visibleAt = int64(binary.BigEndian.Uint64(p.Value[msgIDLen:]))
	o.received = p.Value[msgIDLen+8] == 1
	return o, true
}

func orderEntryOf(id msgID, rec *messageRecord) orderEntry {
	return orderEntry{seq: rec.Seq, id: id, visibleAt: rec.VisibleAt, received: rec.ReceiveCount > 0}
}

// groupShard spreads groups over the index shards.
func groupShard(group string, shards int) uint8 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(group))
	return uint8(h.Sum32() % uint32(shards))
}

// entryValue is an index entry's value: its kind, and for a FIFO group the
// number of messages it stands for (for the approximate counts) and the
// group id.
func entryValue(kind byte, n int, group string) []byte {
	if group == "" {
		return []byte{kind}
	}
	return append(binary.AppendUvarint([]byte{kind}, uint64(n)), group...)
}

func parseEntryValue(v []byte) (kind byte, n int64, group string) {
	if len(v) == 0 {
		return 0, 0, ""
	}
	if len(v) == 1 {
		return v[0], 1, ""
	}
	u, w := binary.Uvarint(v[1:])
	if w <= 0 || u > math.MaxInt32 {
		return v[0], 1, ""
	}
	return v[0], int64(u), string(v[1+w:])
}

// groupRef names one group of one queue's data range.
type groupRef struct {
	d     did
	group string
}

// groupState is a group as one transaction sees and changes it.
type groupState struct {
	rec     *groupRecord // nil: the group has no record (it is empty)
	dirty   bool         // the record must be written
	reindex bool         // the index entry must be recomputed
	force   bool         // move the entry to now even if it is visible
}

// fifoGroups tracks the groups one transaction touches and brings their
// records and index entries up to date before it commits (finish).
type fifoGroups struct {
	tx     kv.Txn
	shards int
	now    int64
	groups map[groupRef]*groupState
	order  []groupRef // first-touch order, so finish writes deterministically
	notify []did      // queues where a group became receivable
	later  []did      // queues where a group's head became a delayed message
}

func newFIFOGroups(tx kv.Txn, shards int, now int64) *fifoGroups {
	return &fifoGroups{tx: tx, shards: shards, now: now, groups: map[groupRef]*groupState{}}
}

// state returns the group's state, reading its record on first use.
func (f *fifoGroups) state(ctx context.Context, ref groupRef) (*groupState, error) {
	if st, ok := f.groups[ref]; ok {
		return st, nil
	}
	st := &groupState{}
	v, err := f.tx.Get(ctx, groupKey(ref.d, ref.group))
	switch {
	case err == nil:
		if st.rec, err = decodeGroup(v); err != nil {
			return nil, err
		}
	case !isNotFound(err):
		return nil, err
	}
	f.track(ref, st)
	return st, nil
}

// adopt records a group record the caller locked and read itself.
func (f *fifoGroups) adopt(ref groupRef, rec *groupRecord) *groupState {
	if st, ok := f.groups[ref]; ok {
		return st
	}
	st := &groupState{rec: rec}
	f.track(ref, st)
	return st
}

func (f *fifoGroups) track(ref groupRef, st *groupState) {
	f.groups[ref] = st
	f.order = append(f.order, ref)
}

// appendMessage gives rec the group's next sequence number and stores it
// at the end of the group. The first message of an empty group becomes its
// head at once; later ones wait behind it and need no index change.
func (f *fifoGroups) appendMessage(ctx context.Context, d did, id msgID, rec *messageRecord) error {
	ref := groupRef{d, rec.Group}
	st, err := f.state(ctx, ref)
	if err != nil {
		return err
	}
	fresh := st.rec == nil
	if fresh {
		st.rec = &groupRecord{}
	}
	rec.Seq = max(st.rec.last+1, uint64(f.now)<<seqShift)
	if fresh {
		// An empty group: this is its first live message, and every later
		// one gets a higher number.
		st.rec.from = rec.Seq
	}
	rec.Shard = groupShard(rec.Group, f.shards)
	st.rec.last = rec.Seq
	st.dirty = true
	if st.rec.at == 0 {
		st.reindex = true
	}
	return f.put(d, id, rec)
}

// put writes the record and its order entry, leaving the index to finish.
func (f *fifoGroups) put(d did, id msgID, rec *messageRecord) error {
	b, err := rec.encode()
	if err != nil {
		return err
	}
	if err := f.tx.Set(messageKey(d, id), b); err != nil {
		return err
	}
	return f.tx.Set(orderKey(d, rec.Group, rec.Seq), orderEntryOf(id, rec).value())
}

// update stores a changed record of the group (its visibility or receive
// count) and marks the group for reindexing.
func (f *fifoGroups) update(ctx context.Context, d did, id msgID, rec *messageRecord) error {
	if err := f.touch(ctx, groupRef{d, rec.Group}); err != nil {
		return err
	}
	if err := rec.writeState(f.tx, messageKey(d, id)); err != nil {
		return err
	}
	return f.tx.Set(orderKey(d, rec.Group, rec.Seq), orderEntryOf(id, rec).value())
}

// remove deletes a message of the group.
func (f *fifoGroups) remove(ctx context.Context, d did, id msgID, rec *messageRecord) error {
	if err := f.touch(ctx, groupRef{d, rec.Group}); err != nil {
		return err
	}
	if err := f.tx.Delete(orderKey(d, rec.Group, rec.Seq)); err != nil {
		return err
	}
	return rec.drop(f.tx, d, id)
}

func (f *fifoGroups) touch(ctx context.Context, ref groupRef) error {
	st, err := f.state(ctx, ref)
	if err != nil {
		return err
	}
	st.reindex, st.dirty = true, true
	return nil
}

// finish writes every changed group: its index entry, then its record.
func (f *fifoGroups) finish(ctx context.Context) error {
	for _, ref := range f.order {
		st := f.groups[ref]
		if st.reindex {
			if err := f.reindex(ctx, ref, st); err != nil {
				return err
			}
		}
		if !st.dirty {
			continue
		}
		key := groupKey(ref.d, ref.group)
		if st.rec == nil {
			if err := f.tx.Delete(key); err != nil {
				return err
			}
			continue
		}
		if err := f.tx.Set(key, st.rec.encode()); err != nil {
			return err
		}
	}
	return nil
}

// reindex recomputes the group's index entry from the start of its order
// list: the head is the first live message; the group may be received
// again once the head is visible and none of its messages is in flight.
func (f *fifoGroups) reindex(ctx context.Context, ref groupRef, st *groupState) error {
	prefix := orderPrefix(ref.d, ref.group)
	kvs, err := f.tx.Scan(ctx, orderKey(ref.d, ref.group, st.rec.scanFrom()), kv.PrefixEnd(prefix), reindexScan)
	if err != nil {
		return err
	}
	g := st.rec
	if g == nil {
		g = &groupRecord{}
	}
	shard := groupShard(ref.group, f.shards)
	var (
		head     orderEntry
		found    bool
		inFlight int
		until    int64
	)
	for _, p := range kvs {
		o, ok := parseOrderEntry(p, len(prefix))
		if !ok {
			continue
		}
		if !found {
			head, found = o, true
		}
		if o.received && o.visibleAt > f.now {
			inFlight++
			until = max(until, o.visibleAt)
		}
	}
	st.dirty = true
	if !found { // the group is empty: it needs neither entry nor record
		if g.at != 0 {
			if err := f.tx.Delete(indexKey(ref.d, shard, g.at, g.head)); err != nil {
				return err
			}
		}
		st.rec = nil
		return nil
	}
	if head.visibleAt == halfVisibleAt {
		// A half message heads the group: nothing of it is receivable
		// until the message is decided (halfmsg.go).
		if g.at != 0 {
			if err := f.tx.Delete(indexKey(ref.d, shard, g.at, g.head)); err != nil {
				return err
			}
		}
		g.head, g.at, g.from = head.id, 0, head.seq
		st.rec = g
		return nil
	}
	at := max(f.now, head.visibleAt, until)
	kind, n := entrySent, 1
	switch {
	case inFlight > 0:
		kind, n = entryInFlight, inFlight
	case head.visibleAt > f.now:
		kind = entryDelayed
	case g.at != 0 && g.head == head.id && g.at <= f.now && !st.force:
		// Already waiting and receivable: keep its place in line.
		g.from = head.seq
		st.rec = g
		return nil
	}
	if g.at != 0 {
		if err := f.tx.Delete(indexKey(ref.d, shard, g.at, g.head)); err != nil {
			return err
		}
	}
	g.head, g.at, g.from = head.id, at, head.seq
	st.rec = g
	switch {
	case at <= f.now:
		f.notify = append(f.notify, ref.d)
	case kind == entryDelayed:
		f.later = append(f.later, ref.d)
	}
	return f.tx.Set(indexKey(ref.d, shard, at, head.id), entryValue(kind, n, ref.group))
}

// scanOrder returns up to limit order entries of the group from seq on.
func scanOrder(ctx context.Context, r kv.Reader, d did, group string, from uint64, limit int) ([]orderEntry, error) {
	prefix := orderPrefix(d, group)
	kvs, err := r.Scan(ctx, orderKey(d, group, from), kv.PrefixEnd(prefix), limit)
	if err != nil {
		return nil, err
	}
	out := make([]orderEntry, 0, len(kvs))
	for _, p := range kvs {
		if o, ok := parseOrderEntry(p, len(prefix)); ok {
			out = append(out, o)
		}
	}
	return out, nil
}

// walkGroup hands use the group's messages in order from sequence number
// from (groupRecord.scanFrom, or 0), reading order entries want() at a time, until want() is 0, the group ends, use says
// stop, or a message is not visible at until: the ones behind it wait.
func walkGroup(ctx context.Context, tx kv.Txn, d did, group string, from uint64, until int64, want func() int, use func(o orderEntry, rec *messageRecord) (stop bool, err error)) error {
	for n := want(); n > 0; n = want() {
		entries, err := scanOrder(ctx, tx, d, group, from, n)
		if err != nil || len(entries) == 0 {
			return err
		}
		for len(entries) > 0 {
			chunk := entries[:min(len(entries), walkReadChunk)]
			entries = entries[len(chunk):]
			visible := len(chunk)
			for i, o := range chunk {
				if o.visibleAt > until {
					visible = i
					break
				}
			}
			recs, err := getOrdered(ctx, tx, d, chunk[:visible])
			if err != nil {
				return err
			}
			for i, o := range chunk {
				from = o.seq + 1
				if o.visibleAt > until {
					return nil
				}
				rec := recs[i]
				if rec == nil { // cannot happen: records and order entries change together
					if err := tx.Delete(orderKey(d, group, o.seq)); err != nil {
						return err
					}
					continue
				}
				if stop, err := use(o, rec); err != nil || stop {
					return err
				}
			}
		}
	}
	return nil
}

// walkReadChunk is how many records walkGroup reads in one request: a
// claim takes at most 10, and the sweep and move tasks, which stop at the
// first message they leave (the first not expired), read at most this
// many records past it, not their whole page (500 for the sweep: at 1 MiB
// bodies, a read of hundreds of megabytes to drop one message).
const walkReadChunk = 10

// getOrdered reads the records of a group's order entries in one
// BatchGet (one iterator on the local store, one request on TiKV, where a
// Get a message was a third of a FIFO claim's time); nil where a record
// is missing.
func getOrdered(ctx context.Context, r kv.Reader, d did, entries []orderEntry) ([]*messageRecord, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	ids := make([]msgID, len(entries))
	for i, o := range entries {
		ids[i] = o.id
	}
	keys := messageKeys(d, ids)
	vals, err := r.BatchGet(ctx, keys)
	if err != nil {
		return nil, err
	}
	byID, err := decodeMessages(keys, vals)
	if err != nil {
		return nil, err
	}
	recs := make([]*messageRecord, len(entries))
	for i, o := range entries {
		recs[i] = byID[o.id]
	}
	return recs, nil
}

// lockGroups locks the groups of scanned index entries, a few at a time,
// and hands use each one whose entry is still current: the group's record
// names the entry's head and time.
func (f *fifoGroups) lockGroups(ctx context.Context, d did, entries []readyEntry, want func() int, use func(group string, st *groupState) error) error {
	for len(entries) > 0 {
		n := min(want(), len(entries), 4)
		if n <= 0 {
			return nil
		}
		batch := entries[:n]
		entries = entries[n:]
		keys := make([][]byte, len(batch))
		byKey := make(map[string]readyEntry, len(batch))
		for i, en := range batch {
			keys[i] = groupKey(d, en.group)
			byKey[string(keys[i])] = en
		}
		locked, err := f.tx.LockSkip(ctx, keys)
		if err != nil {
			return err
		}
		for _, p := range locked {
			en := byKey[string(p.Key)]
			g, err := decodeGroup(p.Value)
			if err != nil {
				return err
			}
			if g.head != en.id || g.at != en.visibleAt {
				continue
			}
			if err := use(en.group, f.adopt(groupRef{d, en.group}, g)); err != nil {
				return err
			}
		}
	}
	return nil
}

// fifoSeqNumber formats a sequence number as SQS does: 20 decimal digits.
func fifoSeqNumber(seq uint64) string {
	if seq == 0 {
		return ""
	}
	return fmt.Sprintf("%020d", seq)
}
