package engine

import (
	"bytes"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/queues"
)

func TestReceiversAloneUntilContended(t *testing.T) {
	now := time.Unix(1_000, 0)
	r := newReceivers(func() time.Time { return now })
	q, other := queues.Ref{Name: "q"}, queues.Ref{Name: "other"}

	if !r.begin(q) {
		t.Fatal("first receive of a quiet queue is not alone")
	}
	if r.begin(q) {
		t.Fatal("an overlapping receive is alone")
	}
	if !r.begin(other) {
		t.Fatal("another queue's receive is contended")
	}
	r.end(q)
	r.end(q)
	r.end(other)
	now = now.Add(contentionMemory / 2)
	if r.begin(q) {
		t.Fatal("alone again right after an overlap")
	}
	r.end(q)
	now = now.Add(contentionMemory)
	if !r.begin(q) {
		t.Fatal("still contended after contentionMemory")
	}
	r.contended(q) // a taken lock: another node's receiver
	r.end(q)
	if r.begin(q) {
		t.Fatal("alone right after a taken lock")
	}
	r.end(q)
}

func TestReceiversPruneIdleQueues(t *testing.T) {
	now := time.Unix(1_000, 0)
	r := newReceivers(func() time.Time { return now })
	for i := range 1000 {
		q := queues.Ref{Name: string(rune('a' + i%26)), Region: string(rune(i))}
		r.begin(q)
		r.end(q)
	}
	if len(r.queues) > 2*64 {
		t.Fatalf("%d idle queues kept", len(r.queues))
	}
}

func TestIDsSortInTheOrderMade(t *testing.T) {
	ms := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC).UnixMilli()
	s := newIDSource(func() time.Time { return time.UnixMilli(ms) })
	prev := s.next()
	for i := range 10_000 { // past the counter's 4,096 per millisecond
		if i == 5_000 {
			ms -= 60_000 // the clock steps back
		}
		if i == 7_000 {
			ms += 120_000
		}
		id := s.next()
		if bytes.Compare(prev[:], id[:]) >= 0 {
			t.Fatalf("id %d: %x not above %x", i, id, prev)
		}
		if id[6]>>4 != 7 || id[8]>>6 != 2 {
			t.Fatalf("id %x is not a version-7 UUID", id)
		}
		prev = id
	}
}
