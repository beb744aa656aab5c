package engine

import (
	"slices"
	"sync"
	"time"
)

// Claim windows. A lone receive claims the queue's oldest ready messages,
// which takes a look at every shard (receive_oldest.go): on TiKV a scan
// of each, a network round trip each, eight per receive. So on a store
// that is not serial a lone claim scans a window of each shard's oldest
// ready entries, more than it takes, and this node keeps what is left of
// the windows for its next lone claim of the queue, which takes from them
// without scanning, and scans only the shards whose window runs out
// before the batch is full.
//
// A kept window holds every ready entry of its shard up to its bound, as
// of its scan: through its last entry when the scan filled its limit (the
// shard holds more past it), and never past the scan's clock reading,
// above which every entry that becomes ready later lies (sends, messages
// whose visibility timeout or delay ends). Entries taken or moved since,
// by anyone, are harmless: the claim's lock finds them moved or missing
// and skips them, as it does for any scanned entry, and the claim then
// fills its batch the contended way and drops the queue's windows.
// An entry the window lacks below its bound is one committed after the
// scan by a writer whose clock read earlier. On this node that cannot be:
// the bound is also kept below the clock reading of every Update in
// progress when the scanning claim began (scanhints.go's write guard).
// Another node's late or skewed commit can, as it can land below a scan
// hint; it is never lost, only taken after younger messages: its shard
// is scanned again when its window runs out before the others', and every
// window is dropped windowLife after its scan, as a hint is. Contended
// claims take messages without telling the windows, so a contended claim
// drops its queue's windows.
const windowLife = hintRescan

// maxWindowQueues bounds the queues whose windows a node keeps (each up to
// shards × window entries); past it the map starts over.
const maxWindowQueues = 512

// shardWindow is what a claim's scan read of a shard's ready entries.
type shardWindow struct {
	entries []readyEntry // index order; entries taken since are removed
	full    bool         // the scan filled its limit: more entries follow
	below   int64        // ms: the window holds every ready entry below it
	scanned int64        // the engine clock at the scan (ms)
	at      time.Time    // the monotonic clock at the scan
}

// lastEntry is past every index entry.
var lastEntry = readyEntry{visibleAt: 1<<63 - 1, id: msgID{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}

// upTo returns the index position up to which the window holds every
// ready entry of its shard: in the claim that scanned it (fresh), through
// its last entry if full, else all; in a later claim no further than just
// below its bound.
func (w *shardWindow) upTo(fresh bool) readyEntry {
	b := lastEntry
	if !fresh {
		b = readyEntry{visibleAt: w.below - 1, id: lastEntry.id}
	}
	if w.full && len(w.entries) > 0 && indexOrder(w.entries[len(w.entries)-1], b) < 0 {
		return w.entries[len(w.entries)-1]
	}
	return b
}

// claimWindows keeps, per queue data range, the windows of this node's
// last lone claim. Node-local and never stored: losing them costs scans.
type claimWindows struct {
	now    func() time.Time // monotonic time; the engine's clock may be frozen in tests
	mu     sync.Mutex
	queues map[did]*keptWindows
}

type keptWindows struct {
	version uint64 // changed by every save and drop
	shards  map[uint8]shardWindow
}

func newClaimWindows(now func() time.Time) *claimWindows {
	return &claimWindows{now: now, queues: map[did]*keptWindows{}}
}

// windowPlan is one claim's view of its queue's windows: those kept and
// still alive, and those it scanned itself.
type windowPlan struct {
	d       did
	version uint64
	windows []*shardWindow // by shard; nil: none
	fresh   []bool         // scanned in this claim
}

// load returns the queue's windows still alive at now (engine clock, ms).
func (cw *claimWindows) load(d did, shards int, now int64) *windowPlan {
	p := &windowPlan{d: d, windows: make([]*shardWindow, shards), fresh: make([]bool, shards)}
	mono := cw.now()
	cw.mu.Lock()
	defer cw.mu.Unlock()
	k := cw.queues[d]
	if k == nil {
		return p
	}
	p.version = k.version
	for shard, w := range k.shards {
		if int(shard) >= shards || mono.Sub(w.at) >= windowLife || now < w.scanned {
			continue
		}
		w.entries = append([]readyEntry(nil), w.entries...)
		p.windows[shard] = &w
	}
	return p
}

// save keeps the plan's windows, less the entries in taken, for the next
// claim, unless the queue's windows changed since the plan was loaded.
func (cw *claimWindows) save(p *windowPlan, taken []readyEntry) {
	cw.mu.Lock()
	defer cw.mu.Unlock()
	k := cw.queues[p.d]
	if k == nil {
		if p.version != 0 {
			return
		}
		if len(cw.queues) >= maxWindowQueues {
			cw.queues = map[did]*keptWindows{}
		}
		k = &keptWindows{}
		cw.queues[p.d] = k
	}
	if k.version != p.version {
		return
	}
	k.version++
	k.shards = map[uint8]shardWindow{}
	for shard, w := range p.windows {
		if w == nil {
			continue
		}
		kept := *w
		kept.entries = withoutEntries(w.entries, taken)
		k.shards[uint8(shard)] = kept
	}
}

// drop forgets the queue's windows.
func (cw *claimWindows) drop(d did) {
	cw.mu.Lock()
	defer cw.mu.Unlock()
	if k := cw.queues[d]; k != nil {
		k.version++
		k.shards = nil
	}
}

// withoutEntries returns entries less those in taken (few).
func withoutEntries(entries, taken []readyEntry) []readyEntry {
	out := make([]readyEntry, 0, len(entries))
next:
	for _, en := range entries {
		for _, t := range taken {
			if t.shard == en.shard && t.id == en.id {
				continue next
			}
		}
		out = append(out, en)
	}
	return out
}

// upTo returns the lowest index position up to which every shard's window
// holds all its ready entries: the merge of the windows is the queue's
// oldest ready entries up to it. A shard without a window bounds it below
// everything.
func (p *windowPlan) upTo() (bound readyEntry, anyMissing bool) {
	bound = lastEntry
	for shard, w := range p.windows {
		if w == nil {
			return readyEntry{}, true
		}
		if b := w.upTo(p.fresh[shard]); indexOrder(b, bound) < 0 {
			bound = b
		}
	}
	return bound, false
}

// merged returns the windows' entries up to bound, in index order.
func (p *windowPlan) merged(bound readyEntry) []readyEntry {
	var out []readyEntry
	for _, w := range p.windows {
		for _, en := range w.entries {
			if indexOrder(en, bound) > 0 {
				break
			}
			out = append(out, en)
		}
	}
	slices.SortFunc(out, indexOrder)
	return out
}

// nextToScan returns the shard, not yet scanned in this claim, whose
// window vouches for the least, or false when every shard was scanned.
func (p *windowPlan) nextToScan() (uint8, bool) {
	best, found := 0, false
	var bestUpTo readyEntry
	for shard, w := range p.windows {
		if p.fresh[shard] {
			continue
		}
		if w == nil {
			return uint8(shard), true
		}
		if b := w.upTo(false); !found || indexOrder(b, bestUpTo) < 0 {
			best, bestUpTo, found = shard, b, true
		}
	}
	return uint8(best), found
}
