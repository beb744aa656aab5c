package sqsotel_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/sluice-mq/sluice/data-plane/admission"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqsotel"
)

// BenchmarkCallMetrics is the metrics a node records for one call, a
// SendMessageBatch of 10: its span (tracing off), duration and queue
// counters (End) and its tenant's counters (Count).
func BenchmarkCallMetrics(b *testing.B) {
	ctx := context.Background()
	calls, _ := newCalls(b, sqsotel.Options{})
	q := queues.Ref{Account: "000000000001", Region: "us-east-1", Name: "orders"}
	sizes := make([]int, 10)
	for i := range sizes {
		sizes[i] = 256
	}
	req := httptest.NewRequest("POST", "/", nil)
	info := sqsotel.Info{Action: "SendMessageBatch", Queue: q, Batch: true, Entries: 10, SentSizes: sizes}
	usage := admission.Usage{Account: q.Account, Action: "SendMessageBatch", InBytes: 2560}
	b.ReportAllocs()
	for b.Loop() {
		_, call := calls.Start(ctx, req)
		call.End(info)
		calls.Count(usage)
	}
}
