//go:build sluice_invariants

package engine

// Invariant checks, compiled in only with the sluice_invariants build tag
// (as Pebble does with its invariants tag); invariants_off.go holds the
// no-op every other build gets. The engine tests run them after each test
// (invariants_helpers_test.go), over everything the test's engines left in
// the store, once those engines have flushed and stopped.
//
// Each check has a name, and each violation says the check, the queue and
// the key:
//
//   - index-matches-record: standard queues: every message record has
//     exactly one visibility-index entry, at the record's (Shard,
//     VisibleAt), and every index entry names a record that points back at
//     it. FIFO queues index groups, not messages (fifo.go): every index
//     entry carries a group id, in the group's shard, and is the one entry
//     the group's record names (head and time); every group record names
//     an entry (time set) that exists and whose id is the group's first
//     live message; a FIFO record's Shard is its group's shard.
//   - fifo-order: on a FIFO queue every message record has its order entry
//     (group, sequence number) naming it, with the record's visibility time
//     and received flag; every order entry names a record of that group and
//     sequence number; a group has a record exactly while it has order
//     entries, and no order entry lies below the record's scan start
//     (groupRecord.from).
//   - counts-equal-records: the flushed count records of a queue's data
//     range add up to its message records: their number, their sizes, and
//     the sizes of the cold ones. Only true once every node has flushed.
//   - cold-has-segment: every cold record names a segment that has a
//     segment record, whose object is in the blob store, and is not marked
//     dead in it; each segment's messages are accounted for: the records
//     naming it plus its dead markers are the count it was written with,
//     and no dead marker outlives its segment's record.
//
// Only live queues are checked (records under C/q/), and never a data range
// marked as garbage (G/): a purged or deleted queue's data is the
// sweeper's.

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/internal/blob"
	"github.com/sluice-mq/sluice/internal/kv"
)

const invariantsEnabled = true

// The names of the checks.
const (
	invIndexMatchesRecord = "index-matches-record"
	invFIFOOrder          = "fifo-order"
	invCountsEqualRecords = "counts-equal-records"
	invColdHasSegment     = "cold-has-segment"
)

// maxViolations bounds how many violations one run reports.
const maxViolations = 20

// violation is one broken invariant.
type violation struct {
	check, queue string
	key          []byte
	detail       string
}

func (v violation) Error() string {
	return fmt.Sprintf("invariant %s: queue %s: key %s: %s", v.check, v.queue, formatKey(v.key), v.detail)
}

// formatKey renders a key readably: data and message ids in hex, times
// and sequence numbers in decimal, other binary bytes escaped.
func formatKey(k []byte) string {
	if len(k) < 2+didLen+3 || !bytes.HasPrefix(k, []byte("Q/")) {
		return printable(k)
	}
	head := "Q/" + hex.EncodeToString(k[2:2+didLen]) + "/" + string(k[3+didLen]) + "/"
	rest := k[2+didLen+3:]
	switch k[3+didLen] {
	case 'm':
		if len(rest) == msgIDLen {
			return head + hex.EncodeToString(rest)
		}
	case 'v':
		if len(rest) == 2+8+1+msgIDLen {
			return fmt.Sprintf("%s%d/%d/%x", head, rest[0], int64(binary.BigEndian.Uint64(rest[2:])), rest[11:])
		}
	case 'o':
		if n := len(rest); n >= 9 && rest[n-9] == 0 {
			return fmt.Sprintf("%s%s/%d", head, printable(rest[:n-9]), binary.BigEndian.Uint64(rest[n-8:]))
		}
	case 's':
		if len(rest) == 9 {
			return fmt.Sprintf("%s%d/%016x", head, rest[0], binary.BigEndian.Uint64(rest[1:]))
		}
	case 'k':
		if len(rest) == 9+msgIDLen {
			return fmt.Sprintf("%s%d/%016x/%x", head, rest[0], binary.BigEndian.Uint64(rest[1:]), rest[9:])
		}
		if len(rest) == 9 {
			return fmt.Sprintf("%s%d/%016x/", head, rest[0], binary.BigEndian.Uint64(rest[1:]))
		}
	}
	return head + printable(rest)
}

func printable(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		if c >= 0x20 && c < 0x7f {
			sb.WriteByte(c)
		} else {
			fmt.Fprintf(&sb, `\x%02x`, c)
		}
	}
	return sb.String()
}

// liveQueue is what the checks need of a queue record.
type liveQueue struct {
	name string // tenant/region/name
	d    did
	fifo bool
}

// liveQueues lists the queue records under C/q/. It is the checks' only
// use of the queue catalog.
func liveQueues(ctx context.Context, r kv.Reader) ([]liveQueue, error) {
	prefix := queues.RecordsPrefix()
	kvs, err := r.Scan(ctx, prefix, kv.PrefixEnd(prefix), 0)
	if err != nil {
		return nil, err
	}
	out := make([]liveQueue, 0, len(kvs))
	for _, p := range kvs {
		q, err := queues.Decode(p.Value)
		if err != nil {
			return nil, fmt.Errorf("decode queue %s: %w", p.Key, err)
		}
		out = append(out, liveQueue{name: string(p.Key[len(prefix):]), d: q.DID(), fifo: q.Attributes.FifoQueue})
	}
	return out, nil
}

// checkInvariants runs every check over the store's live queues, in one
// snapshot. The caller flushes every engine on the store first and keeps
// them quiet. shards is the engines' index shard count; blobs, if not nil,
// is their blob store.
func checkInvariants(ctx context.Context, store kv.Store, shards int, blobs blob.Store) error {
	c := &invChecker{shards: shards, blobs: blobs}
	err := store.View(ctx, func(r kv.Reader) error {
		c.out = c.out[:0]
		live, err := liveQueues(ctx, r)
		if err != nil {
			return err
		}
		garbagePrefix := queues.GarbagePrefix()
		garbage, err := r.Scan(ctx, garbagePrefix, kv.PrefixEnd(garbagePrefix), 0)
		if err != nil {
			return err
		}
		swept := make(map[string]bool, len(garbage))
		for _, p := range garbage {
			swept[string(p.Key[len(garbagePrefix):])] = true
		}
		for _, q := range live {
			if swept[string(q.d[:])] {
				continue
			}
			if err := c.checkQueue(ctx, r, q); err != nil {
				return fmt.Errorf("check queue %s: %w", q.name, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	errs := make([]error, 0, len(c.out))
	for i, v := range c.out {
		if i == maxViolations {
			errs = append(errs, fmt.Errorf("and %d more violations", len(c.out)-maxViolations))
			break
		}
		errs = append(errs, v)
	}
	return errors.Join(errs...)
}

type invChecker struct {
	shards int
	blobs  blob.Store
	out    []violation
	q      liveQueue
}

func (c *invChecker) fail(check string, key []byte, format string, args ...any) {
	c.out = append(c.out, violation{check: check, queue: c.q.name, key: bytes.Clone(key), detail: fmt.Sprintf(format, args...)})
}

// invRecord is a message record and its key.
type invRecord struct {
	key []byte
	rec *messageRecord
}

func (c *invChecker) checkQueue(ctx context.Context, r kv.Reader, q liveQueue) error {
	c.q = q
	d := q.d
	// One scan of the data range, split by kind (the letter after the
	// data id): one read per queue.
	prefix := dataPrefix(d)
	all, err := r.Scan(ctx, prefix, kv.PrefixEnd(prefix), 0)
	if err != nil {
		return err
	}
	data := map[byte][]kv.KV{}
	for _, p := range all {
		if len(p.Key) > len(prefix)+1 && p.Key[len(prefix)+1] == '/' {
			kind := p.Key[len(prefix)]
			data[kind] = append(data[kind], p)
		}
	}
	recs := make(map[msgID]invRecord, len(data['m']))
	mprefix := len(prefix) + 2
	for _, p := range data['m'] {
		var id msgID
		if len(p.Key) != mprefix+msgIDLen {
			c.fail(invIndexMatchesRecord, p.Key, "message key of the wrong length")
			continue
		}
		copy(id[:], p.Key[mprefix:])
		rec, err := decodeMessage(p.Value)
		if err != nil {
			c.fail(invIndexMatchesRecord, p.Key, "message record does not decode: %v", err)
			continue
		}
		recs[id] = invRecord{key: p.Key, rec: rec}
	}
	if q.fifo {
		c.checkFIFO(d, recs, data)
	} else {
		c.checkIndex(d, recs, data['v'])
	}
	c.checkCounts(d, recs, data['c'])
	return c.checkCold(ctx, d, recs, data)
}

// invEntry is a parsed visibility-index entry.
type invEntry struct {
	key       []byte
	shard     uint8
	visibleAt int64
	id        msgID
	group     string
}

func (c *invChecker) parseIndex(d did, index []kv.KV) []invEntry {
	vprefix := len(dataPrefix(d)) + 2
	out := make([]invEntry, 0, len(index))
	for _, p := range index {
		if len(p.Key) < vprefix+2 || p.Key[vprefix+1] != '/' {
			c.fail(invIndexMatchesRecord, p.Key, "index key without a shard")
			continue
		}
		shard := p.Key[vprefix]
		at, id, ok := parseIndexKey(p.Key, vprefix+2)
		if !ok {
			c.fail(invIndexMatchesRecord, p.Key, "index key of the wrong length")
			continue
		}
		_, _, group := parseEntryValue(p.Value)
		out = append(out, invEntry{key: p.Key, shard: shard, visibleAt: at, id: id, group: group})
	}
	return out
}

// checkIndex is index-matches-record for a standard queue: one entry per
// record, where the record says.
func (c *invChecker) checkIndex(d did, recs map[msgID]invRecord, index []kv.KV) {
	seen := make(map[msgID]int, len(recs))
	for _, en := range c.parseIndex(d, index) {
		seen[en.id]++
		ir, ok := recs[en.id]
		switch {
		case !ok:
			c.fail(invIndexMatchesRecord, en.key, "index entry names no message record")
		case ir.rec.Shard != en.shard || ir.rec.VisibleAt != en.visibleAt:
			c.fail(invIndexMatchesRecord, en.key, "index entry at shard %d, %d; its record says shard %d, %d", en.shard, en.visibleAt, ir.rec.Shard, ir.rec.VisibleAt)
		case en.group != "":
			c.fail(invIndexMatchesRecord, en.key, "index entry of a standard queue carries group %q", en.group)
		}
	}
	for id, ir := range recs {
		switch n := seen[id]; {
		case n == 0 && ir.rec.VisibleAt == halfVisibleAt: // a half message: no entry
		case n == 0:
			c.fail(invIndexMatchesRecord, ir.key, "message record has no index entry (want one at shard %d, %d)", ir.rec.Shard, ir.rec.VisibleAt)
		case n > 1:
			c.fail(invIndexMatchesRecord, ir.key, "message record has %d index entries", n)
		}
	}
}

// invGroup is what the checks gather of one FIFO group.
type invGroup struct {
	key    []byte
	rec    *groupRecord // nil: no group record
	orders []orderEntry // in sequence order
	okeys  [][]byte
	index  []invEntry
}

// checkFIFO runs index-matches-record and fifo-order for a FIFO queue.
func (c *invChecker) checkFIFO(d did, recs map[msgID]invRecord, data map[byte][]kv.KV) {
	groups := map[string]*invGroup{}
	group := func(name string) *invGroup {
		g := groups[name]
		if g == nil {
			g = &invGroup{key: groupKey(d, name)}
			groups[name] = g
		}
		return g
	}
	gprefix := append(dataPrefix(d), "g/"...)
	for _, p := range data['g'] {
		g := group(string(p.Key[len(gprefix):]))
		var err error
		if g.rec, err = decodeGroup(p.Value); err != nil {
			c.fail(invFIFOOrder, p.Key, "group record does not decode: %v", err)
			g.rec = nil
		}
	}
	oprefix := append(dataPrefix(d), "o/"...)
	for _, p := range data['o'] {
		rest := p.Key[len(oprefix):]
		if len(rest) < 1+8 || rest[len(rest)-9] != 0 {
			c.fail(invFIFOOrder, p.Key, "order key without a group and sequence number")
			continue
		}
		o, ok := parseOrderEntry(p, len(p.Key)-8)
		if !ok {
			c.fail(invFIFOOrder, p.Key, "order entry does not parse")
			continue
		}
		g := group(string(rest[:len(rest)-9]))
		g.orders = append(g.orders, o)
		g.okeys = append(g.okeys, p.Key)
	}
	for _, en := range c.parseIndex(d, data['v']) {
		if en.group == "" {
			c.fail(invIndexMatchesRecord, en.key, "index entry of a FIFO queue carries no group")
			continue
		}
		g := group(en.group)
		g.index = append(g.index, en)
	}

	// fifo-order: records and order entries name each other.
	for id, ir := range recs {
		rec := ir.rec
		if rec.Group == "" {
			c.fail(invFIFOOrder, ir.key, "message record of a FIFO queue has no group")
			continue
		}
		if want := groupShard(rec.Group, c.shards); rec.Shard != want {
			c.fail(invIndexMatchesRecord, ir.key, "record of group %q at shard %d, want the group's shard %d", rec.Group, rec.Shard, want)
		}
		key := orderKey(d, rec.Group, rec.Seq)
		g := groups[rec.Group]
		var o *orderEntry
		if g != nil {
			for i := range g.orders {
				if g.orders[i].seq == rec.Seq {
					o = &g.orders[i]
					break
				}
			}
		}
		switch {
		case o == nil:
			c.fail(invFIFOOrder, ir.key, "message record has no order entry (want %s)", formatKey(key))
		case o.id != id:
			c.fail(invFIFOOrder, key, "order entry names message %x, not its record's %x", o.id, id)
		case o.visibleAt != rec.VisibleAt || o.received != (rec.ReceiveCount > 0):
			c.fail(invFIFOOrder, key, "order entry says visibleAt %d received %v; its record %d received %v", o.visibleAt, o.received, rec.VisibleAt, rec.ReceiveCount > 0)
		}
	}
	for name, g := range groups {
		for i, o := range g.orders {
			ir, ok := recs[o.id]
			if !ok {
				c.fail(invFIFOOrder, g.okeys[i], "order entry names no message record")
				continue
			}
			if ir.rec.Group != name || ir.rec.Seq != o.seq {
				c.fail(invFIFOOrder, g.okeys[i], "order entry's record is of group %q seq %d", ir.rec.Group, ir.rec.Seq)
			}
		}
		switch {
		case len(g.orders) > 0 && g.rec == nil:
			c.fail(invFIFOOrder, g.key, "group with %d messages has no group record", len(g.orders))
		case len(g.orders) == 0 && g.rec != nil:
			c.fail(invFIFOOrder, g.key, "empty group has a group record")
		}
		c.checkGroupIndex(d, name, g)
	}
}

// checkGroupIndex is index-matches-record for one FIFO group: its one
// entry is the one its record names, at its head.
func (c *invChecker) checkGroupIndex(d did, name string, g *invGroup) {
	shard := groupShard(name, c.shards)
	for _, en := range g.index {
		switch {
		case g.rec == nil:
			c.fail(invIndexMatchesRecord, en.key, "index entry of group %q, which has no group record", name)
		case en.shard != shard:
			c.fail(invIndexMatchesRecord, en.key, "index entry of group %q at shard %d, want %d", name, en.shard, shard)
		case g.rec.head != en.id || g.rec.at != en.visibleAt:
			c.fail(invIndexMatchesRecord, en.key, "index entry of group %q is not the one its record names (head %x at %d)", name, g.rec.head, g.rec.at)
		}
	}
	if g.rec == nil || len(g.orders) == 0 {
		return
	}
	if g.rec.from > g.orders[0].seq {
		c.fail(invFIFOOrder, g.key, "group %q's scans start at seq %d, past its first message's %d", name, g.rec.from, g.orders[0].seq)
	}
	want := indexKey(d, shard, g.rec.at, g.rec.head)
	found := false
	for _, en := range g.index {
		found = found || bytes.Equal(en.key, want)
	}
	switch {
	case g.rec.at == 0 && g.orders[0].visibleAt == halfVisibleAt:
		// A half message heads the group: no entry until it is decided.
	case g.rec.at == 0:
		c.fail(invIndexMatchesRecord, g.key, "group %q with %d messages has no index entry", name, len(g.orders))
	case !found:
		c.fail(invIndexMatchesRecord, g.key, "group record names index entry %s, which is missing", formatKey(want))
	case g.rec.head != g.orders[0].id:
		c.fail(invIndexMatchesRecord, g.key, "group %q's head is %x, its first message %x", name, g.rec.head, g.orders[0].id)
	}
	if len(g.index) > 1 {
		c.fail(invIndexMatchesRecord, g.key, "group %q has %d index entries", name, len(g.index))
	}
}

// checkCounts is counts-equal-records.
func (c *invChecker) checkCounts(d did, recs map[msgID]invRecord, counts []kv.KV) {
	var stored delta
	for _, p := range counts {
		n, ok := decodeCount(p.Value)
		if !ok {
			c.fail(invCountsEqualRecords, p.Key, "count record of %d bytes", len(p.Value))
		}
		stored = stored.plus(n)
	}
	var sum delta
	for _, ir := range recs {
		if ir.rec.VisibleAt == halfVisibleAt {
			sum = sum.plus(halfDelta(ir.rec)) // stored, not yet counted
			continue
		}
		sum = sum.plus(one(ir.rec))
	}
	if stored != sum {
		c.fail(invCountsEqualRecords, countPrefix(d), "count records add up to %d messages, %d bytes, %d cold; the message records to %d, %d, %d",
			stored.n, stored.bytes, stored.cold, sum.n, sum.bytes, sum.cold)
	}
}

// checkCold is cold-has-segment.
func (c *invChecker) checkCold(ctx context.Context, d did, recs map[msgID]invRecord, data map[byte][]kv.KV) error {
	sprefix := segmentPrefix(d)
	written := map[segRef]int64{}
	for _, p := range data['s'] {
		rest := p.Key[len(sprefix):]
		if len(rest) != 9 {
			c.fail(invColdHasSegment, p.Key, "segment key of the wrong length")
			continue
		}
		sr, err := decodeSegmentRecord(p.Value)
		if err != nil {
			c.fail(invColdHasSegment, p.Key, "segment record does not decode: %v", err)
			continue
		}
		written[segRef{shard: rest[0], id: binary.BigEndian.Uint64(rest[1:])}] = sr.records
	}
	kprefix := append(dataPrefix(d), "k/"...)
	dead := map[segRef]map[msgID]bool{}
	for _, p := range data['k'] {
		rest := p.Key[len(kprefix):]
		if len(rest) != 9+msgIDLen {
			c.fail(invColdHasSegment, p.Key, "dead marker key of the wrong length")
			continue
		}
		seg := segRef{shard: rest[0], id: binary.BigEndian.Uint64(rest[1:])}
		var id msgID
		copy(id[:], rest[9:])
		if dead[seg] == nil {
			dead[seg] = map[msgID]bool{}
		}
		dead[seg][id] = true
	}
	live := map[segRef]int64{}
	for id, ir := range recs {
		ref := ir.rec.Cold
		if ref == nil {
			continue
		}
		live[ref.seg]++
		if _, ok := written[ref.seg]; !ok {
			c.fail(invColdHasSegment, ir.key, "cold record names segment %s, which has no segment record", formatKey(segmentKey(d, ref.seg)))
		}
		if dead[ref.seg][id] {
			c.fail(invColdHasSegment, ir.key, "cold record is marked dead in its segment %s", formatKey(segmentKey(d, ref.seg)))
		}
	}
	for seg := range dead {
		if _, ok := written[seg]; !ok {
			c.fail(invColdHasSegment, deadPrefix(d, seg), "%d dead markers of a segment that has no segment record", len(dead[seg]))
		}
	}
	for seg, n := range written {
		if got := live[seg] + int64(len(dead[seg])); got != n {
			c.fail(invColdHasSegment, segmentKey(d, seg), "segment written with %d messages; %d records name it and %d are marked dead", n, live[seg], len(dead[seg]))
		}
	}
	if c.blobs == nil || len(written) == 0 {
		return nil
	}
	objects := map[string]bool{}
	for after := ""; ; {
		page, err := c.blobs.List(ctx, blob.ListOptions{Prefix: segmentBlobPrefix(d), StartAfter: after})
		if err != nil {
			return fmt.Errorf("list segments: %w", err)
		}
		for _, o := range page.Objects {
			objects[o.Key] = true
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	for seg := range written {
		if key := segmentBlobKey(d, seg); !objects[key] {
			c.fail(invColdHasSegment, segmentKey(d, seg), "segment's object %s is not in the blob store", key)
		}
	}
	return nil
}
