package sqsotel

import (
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

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
	known map[queues.Ref]metric.MeasurementOption // its labels, built once
	order []queues.Ref
}

func newQueueSeries(limit int, offAccounts []string) *queueSeries {
	s := &queueSeries{limit: limit, off: map[string]bool{}, known: map[queues.Ref]metric.MeasurementOption{}}
	for _, a := range offAccounts {
		s.off[a] = true
	}
	return s
}

// labels returns ref's tenant, region and queue labels as a metric
// option, admitting ref to a series of its own when there is room.
func (s *queueSeries) labels(ref queues.Ref) metric.MeasurementOption {
	if s.limit > 0 && !s.off[ref.Account] {
		s.mu.Lock()
		defer s.mu.Unlock()
		if o, ok := s.known[ref]; ok {
			return o
		}
		if len(s.order) < s.limit {
			o := queueLabels(ref, ref.Name)
			s.known[ref] = o
			s.order = append(s.order, ref)
			return o
		}
	}
	return queueLabels(ref, OtherQueue)
}

func queueLabels(ref queues.Ref, queue string) metric.MeasurementOption {
	return metric.WithAttributes(attribute.String("tenant", ref.Account), attribute.String("region", ref.Region),
		attribute.String("queue", queue))
}

// forget drops a queue that no longer exists, making room for another.
func (s *queueSeries) forget(ref queues.Ref) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.known[ref]; !ok {
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
