package sqsotel_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/sluice-mq/sluice/data-plane/admission"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqsotel"
	"github.com/sluice-mq/sluice/internal/telemetry"
)

// BenchmarkCallMetrics is the metrics a node records for one call, a
// SendMessageBatch of 10: its span (tracing off), duration and queue
// counters (End) and its tenant's counters (Count).
func BenchmarkCallMetrics(b *testing.B) {
	ctx := context.Background()
	b.Setenv("OTEL_TRACES_EXPORTER", "none")
	tel, err := telemetry.New(ctx, telemetry.Options{Metrics: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = tel.Shutdown(ctx) })
	calls, err := sqsotel.New(sqsotel.Options{Telemetry: tel})
	if err != nil {
		b.Fatal(err)
	}
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
