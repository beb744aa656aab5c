package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/codes"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/sluice-mq/sluice/internal/kv"
)

func TestXRayRoundTrip(t *testing.T) {
	const h = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
	sc, ok := ParseXRay(h)
	if !ok {
		t.Fatal("not parsed")
	}
	if got := sc.TraceID().String(); got != "5759e988bd862e3fe1be46a994272793" {
		t.Fatalf("trace id %s", got)
	}
	if got := sc.SpanID().String(); got != "53995c3f42cd8ad8" || !sc.IsSampled() || !sc.IsRemote() {
		t.Fatalf("span id %s sampled %v remote %v", got, sc.IsSampled(), sc.IsRemote())
	}
	if got := FormatXRay(sc); got != h {
		t.Fatalf("formatted %q, want %q", got, h)
	}
	// Order and extra fields do not matter; Sampled=0 or absent is unsampled.
	sc2, ok := ParseXRay("Parent=53995c3f42cd8ad8;Lineage=a87bd80c:1|68fd508a:5;Root=1-5759e988-bd862e3fe1be46a994272793")
	if !ok || sc2.TraceID() != sc.TraceID() || sc2.IsSampled() {
		t.Fatalf("reordered header: %v %v", sc2, ok)
	}
	for _, bad := range []string{"", "Root=1-5759e988-bd862e3fe1be46a994272793", "Parent=53995c3f42cd8ad8",
		"Root=2-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8", "Root=1-5759e988-bd862e3fe1be46a99427279z;Parent=53995c3f42cd8ad8",
		"Root=1-00000000-000000000000000000000000;Parent=53995c3f42cd8ad8", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f"} {
		if _, ok := ParseXRay(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
	if FormatXRay(trace.SpanContext{}) != "" {
		t.Error("an invalid span context formatted")
	}
}

func TestTracesWanted(t *testing.T) {
	for _, tc := range []struct {
		env     map[string]string
		on, err bool
	}{
		{env: nil},
		{env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, on: true},
		{env: map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, on: true},
		{env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, on: true},
		{env: map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x"}},
		{env: map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}},
		{env: map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, err: true},
		{env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, err: true},
		{env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}, on: true},
	} {
		on, err := tracesWanted(func(k string) string { return tc.env[k] })
		if on != tc.on || (err != nil) != tc.err {
			t.Errorf("%v: on %v err %v, want on %v err %v", tc.env, on, err, tc.on, tc.err)
		}
	}
}

// flaky is a store whose transactions run fn as kv.Retry would after
// conflicts: once for each, then once more.
type flaky struct {
	kv.Store
	conflicts int
}

func (f *flaky) Update(ctx context.Context, fn func(kv.Txn) error) error {
	for range f.conflicts {
		_ = fn(nil)
	}
	return fn(nil)
}

func (f *flaky) View(ctx context.Context, fn func(kv.Reader) error) error {
	for range f.conflicts {
		_ = fn(nil)
	}
	return fn(nil)
}

func TestWrapKVCountsRetries(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tel, err := New(context.Background(), Options{SpanExporter: exp, Metrics: true})
	if err != nil {
		t.Fatal(err)
	}
	s := WrapKV(tel, &flaky{conflicts: 2}, "test")
	if _, ok := s.(kv.LazyUpdater); !ok {
		t.Fatal("the wrapper hides lazy commits")
	}
	ctx, parent := tel.Tracer().Start(context.Background(), "call")
	want := errors.New("boom")
	if err := s.Update(ctx, func(kv.Txn) error { return want }); !errors.Is(err, want) {
		t.Fatalf("err %v", err)
	}
	// Without a recording parent no span is made.
	_ = s.Update(context.Background(), func(kv.Txn) error { return nil })
	parent.End()
	spans := exp.GetSpans()
	if len(spans) != 2 || spans[0].Name != "kv update" {
		t.Fatalf("spans %v", spans)
	}
	var attempts int64
	for _, a := range spans[0].Attributes {
		if a.Key == "sluice.kv.attempts" {
			attempts = a.Value.AsInt64()
		}
	}
	if attempts != 3 {
		t.Fatalf("attempts %d, want 3", attempts)
	}
}

// A transaction dropped on purpose (kv.ErrDropped) is not a store error:
// its span is not marked failed, and its duration counts as "dropped".
func TestWrapKVDroppedIsNoError(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tel, err := New(context.Background(), Options{SpanExporter: exp, Metrics: true})
	if err != nil {
		t.Fatal(err)
	}
	s := WrapKV(tel, &flaky{}, "test")
	ctx, parent := tel.Tracer().Start(context.Background(), "call")
	dropped := fmt.Errorf("fetch first: %w", kv.ErrDropped)
	if err := s.Update(ctx, func(kv.Txn) error { return dropped }); !errors.Is(err, kv.ErrDropped) {
		t.Fatalf("err %v", err)
	}
	_ = s.Update(ctx, func(kv.Txn) error { return errors.New("boom") })
	parent.End()
	spans := exp.GetSpans()
	if len(spans) != 3 {
		t.Fatalf("%d spans", len(spans))
	}
	if st := spans[0].Status; st.Code == codes.Error {
		t.Errorf("dropped transaction's span status %+v; want no error", st)
	}
	if st := spans[1].Status; st.Code != codes.Error {
		t.Errorf("failed transaction's span status %+v; want an error", st)
	}
	rec := httptest.NewRecorder()
	tel.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{`result="dropped"`, `result="error"`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack a kv transaction with %s", want)
		}
	}
}
