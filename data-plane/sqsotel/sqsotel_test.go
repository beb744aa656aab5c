package sqsotel_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/sluice-mq/sluice/data-plane/admission"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqsotel"
	"github.com/sluice-mq/sluice/internal/telemetry"
)

// newCalls returns Calls recording metrics only, and a scrape of them.
func newCalls(t testing.TB, opts sqsotel.Options) (*sqsotel.Calls, func(name string, labels map[string]string) float64) {
	t.Helper()
	ctx := context.Background()
	t.Setenv("OTEL_TRACES_EXPORTER", "none")
	tel, err := telemetry.New(ctx, telemetry.Options{Metrics: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(ctx) })
	opts.Telemetry = tel
	calls, err := sqsotel.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	scrape := func(name string, labels map[string]string) float64 {
		t.Helper()
		rec := httptest.NewRecorder()
		tel.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		parser := expfmt.NewTextParser(model.UTF8Validation)
		families, err := parser.TextToMetricFamilies(rec.Body)
		if err != nil {
			t.Fatal(err)
		}
		sum := 0.0
	metrics:
		for _, m := range families[name].GetMetric() {
			got := map[string]string{}
			for _, lp := range m.GetLabel() {
				got[lp.GetName()] = lp.GetValue()
			}
			for k, v := range labels {
				if got[k] != v {
					continue metrics
				}
			}
			switch {
			case m.Counter != nil:
				sum += m.GetCounter().GetValue()
			case m.Histogram != nil:
				sum += float64(m.GetHistogram().GetSampleCount())
			}
		}
		return sum
	}
	return calls, scrape
}

// The first QueueSeries queues a node serves get series of their own, the
// rest and every queue of an account listed as off count as "_other", and
// a deleted queue makes room for another. Each call counts under its own
// labels, however often those labels were seen before.
func TestQueueSeriesAreBounded(t *testing.T) {
	calls, scrape := newCalls(t, sqsotel.Options{QueueSeries: 2, QueueSeriesOff: []string{"000000000009"}})
	ctx := context.Background()
	req := httptest.NewRequest("POST", "/", nil)
	send := func(account, name string, n int) {
		for range n {
			_, call := calls.Start(ctx, req)
			call.End(sqsotel.Info{Action: "SendMessage", Queue: queues.Ref{Account: account, Region: "us-east-1", Name: name}, SentSizes: []int{100}})
		}
	}
	const tenant, off = "000000000001", "000000000009"
	send(tenant, "a", 1)
	send(tenant, "b", 2)
	send(tenant, "c", 3) // no room
	send(off, "x", 4)
	send(tenant, "a", 5)
	_, call := calls.Start(ctx, req)
	call.End(sqsotel.Info{Action: "DeleteQueue", Queue: queues.Ref{Account: tenant, Region: "us-east-1", Name: "a"}})
	send(tenant, "d", 6) // a's room
	for _, w := range []struct {
		tenant, queue string
		want          float64
	}{
		{tenant, "a", 6}, {tenant, "b", 2}, {tenant, "c", 0}, {tenant, sqsotel.OtherQueue, 3},
		{tenant, "d", 6}, {off, "x", 0}, {off, sqsotel.OtherQueue, 4},
	} {
		if got := scrape("sluice_messages_sent_total", map[string]string{"tenant": w.tenant, "region": "us-east-1", "queue": w.queue}); got != w.want {
			t.Errorf("messages sent, tenant %s queue %s: %v, want %v", w.tenant, w.queue, got, w.want)
		}
	}
	if got := scrape("sluice_request_duration_seconds", map[string]string{"action": "SendMessage", "result": "ok"}); got != 21 {
		t.Errorf("timed sends: %v, want 21", got)
	}
	if got := scrape("sluice_request_duration_seconds", map[string]string{"action": "DeleteQueue", "result": "ok"}); got != 1 {
		t.Errorf("timed queue deletes: %v, want 1", got)
	}

	for range 3 {
		calls.Count(admission.Usage{Account: tenant, Action: "SendMessage", InBytes: 100})
	}
	calls.Count(admission.Usage{Account: tenant, Action: "SendMessage", Code: "InvalidParameterValue"})
	calls.Count(admission.Usage{Account: off, Action: "ReceiveMessage", OutBytes: 70000, Throttled: true})
	calls.Count(admission.Usage{Account: off, Action: "ReceiveMessage", OutBytes: 70000})
	for _, w := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"sluice_requests_total", map[string]string{"tenant": tenant, "action": "SendMessage", "api": "sqs", "result": "ok"}, 3},
		{"sluice_requests_total", map[string]string{"tenant": tenant, "action": "SendMessage", "result": "InvalidParameterValue"}, 1},
		{"sluice_requests_total", map[string]string{"tenant": off, "action": "ReceiveMessage"}, 2},
		{"sluice_throttled_requests_total", map[string]string{"tenant": off, "action": "ReceiveMessage"}, 1},
		{"sluice_throttled_requests_total", map[string]string{"tenant": tenant}, 0},
		{"sluice_request_units_total", map[string]string{"tenant": tenant, "action": "SendMessage"}, 4},
		{"sluice_request_units_total", map[string]string{"tenant": off, "action": "ReceiveMessage"}, 2}, // 70,000 B: 2 units
		{"sluice_message_bytes_total", map[string]string{"tenant": tenant, "direction": "in"}, 300},
		{"sluice_message_bytes_total", map[string]string{"tenant": off, "direction": "out"}, 140000},
	} {
		if got := scrape(w.name, w.labels); got != w.want {
			t.Errorf("%s%v = %v, want %v", w.name, w.labels, got, w.want)
		}
	}
}
