package tiering

// The cold tier's policy: pure decisions of what to roll and what to
// rewrite, on numbers the engine reads. The mechanism — the store's keys
// and transactions, leases, the message record codec, building and
// uploading segments — stays in the engine (data-plane/engine tier.go,
// tier_gc.go).

// HotCutoff is the send time (unix ms) at or before which a body may be
// rolled into a segment: now minus the hot window, or now itself while the
// queue holds more hot bytes than its budget.
func HotCutoff(now, hotWindowSeconds int64, overBudget bool) int64 {
	if overBudget {
		return now
	}
	return now - hotWindowSeconds*1000
}

// BudgetShare is how many bytes the next of shardsLeft shards is asked to
// roll while a queue is over bytes beyond its hot-bytes budget: an even
// share, rounded up so the shares cover it. shardsLeft is at least 1.
func BudgetShare(over int64, shardsLeft int) int64 {
	return over/int64(shardsLeft) + 1
}

// DeferSmall decides whether a pass that packed a small batch — records
// frames in size bytes, against a segment's limits of maxRecords and
// maxBytes — waits for more instead of writing it: small segments cost a
// request each and a record in the store. A batch whose oldest body
// (unix ms) has waited past cutoff for longer than the patience, the
// larger of the hot window and the tiering interval, is written anyway.
// When it waits, until is when the batch will have waited long enough.
// A pass asked for bytes (over budget) does not consult it.
func DeferSmall(records, size, maxRecords, maxBytes int, oldest, cutoff, hotWindowMs, intervalMs int64) (until int64, wait bool) {
	small := size < maxBytes/8 && records < maxRecords/8
	patience := max(hotWindowMs, intervalMs)
	if !small || oldest <= cutoff-patience {
		return 0, false
	}
	return oldest + hotWindowMs + patience, true
}

// CompactBelow is the live fraction under which a segment is rewritten.
const CompactBelow = 0.5

// SegmentAction is what garbage collection does with a segment.
type SegmentAction int

const (
	KeepSegment    SegmentAction = iota
	RetireSegment                // every frame is dead: drop the record, delete the object later
	CompactSegment               // few frames live: copy them into a new segment, retire this one
)

// SegmentFate decides a segment of records frames, dead of which are dead
// (their messages deleted, expired or made hot again).
func SegmentFate(records, dead int64) SegmentAction {
	switch {
	case dead >= records:
		return RetireSegment
	case float64(records-dead) < CompactBelow*float64(records):
		return CompactSegment
	}
	return KeepSegment
}
