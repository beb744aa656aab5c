//go:build !race

// Allocation counts: the race detector's instrumentation allocates, so
// these run without it.

package engine

import (
	"bytes"
	"testing"

	"github.com/sluice-mq/sluice/data-plane/queues"
)

// Decoding a record takes two allocations, the record and its short
// strings together, standard or FIFO.
func TestDecodeRecordAllocations(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage counters change allocation counts")
	}
	for name, rec := range map[string]*messageRecord{
		"standard": {SentAt: 1, SenderID: "111111111111", MD5Body: "0123456789abcdef0123456789abcdef", Body: []byte("body")},
		"fifo": {SentAt: 1, SenderID: "111111111111", MD5Body: "0123456789abcdef0123456789abcdef", DLQSource: "src",
			Group: "g", DedupID: "d", Seq: 9, Body: []byte("body")},
	} {
		b, err := rec.encode()
		if err != nil {
			t.Fatal(err)
		}
		var got *messageRecord
		if n := testing.AllocsPerRun(100, func() { got, _ = decodeMessage(b) }); n != 2 {
			t.Errorf("%s: decoding takes %.0f allocations, want 2", name, n)
		}
		if got.SenderID != rec.SenderID || got.MD5Body != rec.MD5Body || got.DLQSource != rec.DLQSource ||
			got.Group != rec.Group || got.DedupID != rec.DedupID || got.Seq != rec.Seq || string(got.Body) != "body" {
			t.Errorf("%s: decoded %+v, want %+v", name, got, rec)
		}
	}
}

// A put builds its two keys in one allocation and shares its entry value;
// the keys of a claim's or a delete's records take two in all.
func TestKeyAllocations(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage counters change allocation counts")
	}
	var d did
	ids := make([]msgID, 10)
	var sink [][]byte // keeps the keys on the heap, where a store call puts them
	if n := testing.AllocsPerRun(100, func() { r, i := recordKeys(d, 1, 2, ids[0]); sink = append(sink[:0], r, i) }); n != 1 {
		t.Errorf("recordKeys: %.0f allocations, want 1", n)
	}
	if n := testing.AllocsPerRun(100, func() { sink = messageKeys(d, ids) }); n != 2 {
		t.Errorf("messageKeys of 10: %.0f allocations, want 2", n)
	}
	if n := testing.AllocsPerRun(100, func() { sink = append(sink[:0], entryMark(entryInFlight)) }); n != 0 {
		t.Errorf("entryMark: %.0f allocations, want 0", n)
	}
}

// Sealing a handle allocates the handle alone; opening one, nothing.
func TestHandleAllocations(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage counters change allocation counts")
	}
	h := newHandleSealer(bytes.Repeat([]byte{7}, 32))
	ref := queues.Ref{Account: "111111111111", Region: "us-east-1", Name: "orders"}
	handle := h.seal(ref, receipt{gen: 3})
	if n := testing.AllocsPerRun(200, func() { handle = h.seal(ref, receipt{gen: 3}) }); n != 1 {
		t.Errorf("seal: %.0f allocations, want 1", n)
	}
	if n := testing.AllocsPerRun(200, func() { _, _ = h.open(ref, handle) }); n != 0 {
		t.Errorf("open: %.0f allocations, want 0", n)
	}
}
