package sqsotel

import (
	"sync"

	"github.com/sluice-mq/sluice/data-plane/queues"
)

// OtherQueue is the queue label of every queue without series of its own.
const OtherQueue = "_other"

// queueSeries bounds per-queue label cardinality on a node: the first
// limit queues the node serves get series of their own for the life of
// the process (its busiest, in practice: a busy queue is seen early);
// every later queue, and every queue of a tenant listed as off, is
// counted under queue="_other". The per-queue gauges are read for the
// queues admitted here, so a scrape costs at most limit reads.
type queueSeries struct {
	limit int
	off   map[string]bool // accounts whose queues fold into _other

	mu    sync.Mutex
	known map[queues.Ref]bool
	order []queues.Ref
}

func newQueueSeries(limit int, offAccounts []string) *queueSeries {
	s := &queueSeries{limit: limit, off: map[string]bool{}, known: map[queues.Ref]bool{}}
	for _, a := range offAccounts {
		s.off[a] = true
	}
	return s
}

// label returns the queue label for ref, admitting it when there is room.
func (s *queueSeries) label(ref queues.Ref) string {
	if ref.Name == "" {
		return ""
	}
	if s.limit <= 0 || s.off[ref.Account] {
		return OtherQueue
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.known[ref] {
		return ref.Name
	}
	if len(s.order) >= s.limit {
		return OtherQueue
	}
	s.known[ref] = true
	s.order = append(s.order, ref)
	return ref.Name
}

// forget drops a queue that no longer exists, making room for another.
func (s *queueSeries) forget(ref queues.Ref) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.known[ref] {
		return
	}
	delete(s.known, ref)
	for i, r := range s.order {
		if r == ref {
			s.order = append(s.order[:i], s.order[i+1:]...)
			break
		}
	}
}

func (s *queueSeries) snapshot() []queues.Ref {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]queues.Ref(nil), s.order...)
}
