package load

import (
	"sync/atomic"
	"time"
)

// tracker accounts for every sequence id of one run without locks: one
// word per message holds an "acknowledged by the server" bit and a count
// of receipts. 4 bytes a message keeps 10M messages at 40 MB.
type tracker struct {
	start  time.Time
	states []atomic.Uint32

	acked         atomic.Int64 // ids the server acknowledged
	ackedReceived atomic.Int64 // ids both acknowledged and received
	firstReceipts atomic.Int64 // ids received at least once
	duplicates    atomic.Int64 // receipts after an id's first
	foreign       atomic.Int64 // bodies of other runs or no run
	lastSendNanos atomic.Int64 // since start, of the last acknowledgement
	lastRecvNanos atomic.Int64 // since start, of the last first receipt
}

const (
	ackedBit     = 1 << 31
	receiptsMask = ackedBit - 1
)

func newTracker(messages int, start time.Time) *tracker {
	return &tracker{start: start, states: make([]atomic.Uint32, messages)}
}

// markAcked records that the server accepted seq.
func (t *tracker) markAcked(seq uint64, now time.Time) {
	old := t.states[seq].Or(ackedBit)
	if old&ackedBit != 0 {
		return
	}
	t.acked.Add(1)
	storeMax(&t.lastSendNanos, int64(now.Sub(t.start)))
	// Whichever of ack and first receipt comes second counts the pair, so
	// a message received before its send call returned is not missed.
	if old&receiptsMask > 0 {
		t.ackedReceived.Add(1)
	}
}

// markReceived records a receipt of seq and reports whether it was the
// first. Out-of-range ids count as foreign.
func (t *tracker) markReceived(seq uint64, now time.Time) bool {
	if seq >= uint64(len(t.states)) {
		t.foreign.Add(1)
		return false
	}
	v := t.states[seq].Add(1)
	if v&receiptsMask != 1 {
		t.duplicates.Add(1)
		return false
	}
	t.firstReceipts.Add(1)
	storeMax(&t.lastRecvNanos, int64(now.Sub(t.start)))
	if v&ackedBit != 0 {
		t.ackedReceived.Add(1)
	}
	return true
}

// allAckedReceived reports whether every acknowledged id has arrived.
func (t *tracker) allAckedReceived() bool {
	return t.ackedReceived.Load() >= t.acked.Load()
}

// missing counts acknowledged ids never received.
func (t *tracker) missing() int64 {
	return t.acked.Load() - t.ackedReceived.Load()
}

func storeMax(v *atomic.Int64, n int64) {
	for {
		old := v.Load()
		if n <= old || v.CompareAndSwap(old, n) {
			return
		}
	}
}
