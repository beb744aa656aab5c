package sqsapi_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sluice-mq/sluice/data-plane/sqsapi"
	"github.com/sluice-mq/sluice/data-plane/sqsotel"
	"github.com/sluice-mq/sluice/internal/kv/local"
	"github.com/sluice-mq/sluice/internal/telemetry"
)

// BenchmarkTracing is BenchmarkHandler (on the local store without fsync)
// with metrics on, as on a node, and
// tracing off, sampling 1 % (parentbased_traceidratio 0.01) or 100 %: the
// production path (OTLP/HTTP exporter behind the batch span processor,
// kv spans through telemetry.WrapKV) to a local sink that answers 200 and
// discards. Run the modes alternately, one process each, for a ratio the
// machine's mood does not decide:
//
//	go test -c ./data-plane/sqsapi
//	for i in 1 2 3 4 5 6; do for m in off 1pct 100pct; do
//	  ./sqsapi.test -test.run '^$' -test.bench "Tracing/mode=$m" -test.benchtime 2s; done; done
func BenchmarkTracing(b *testing.B) {
	for _, mode := range []struct{ name, sampler, arg string }{
		{"off", "", ""},
		{"1pct", "parentbased_traceidratio", "0.01"},
		{"100pct", "parentbased_always_on", ""},
	} {
		b.Run("mode="+mode.name, func(b *testing.B) {
			b.Setenv("OTEL_TRACES_EXPORTER", "none")
			if mode.sampler != "" {
				sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					_, _ = io.Copy(io.Discard, r.Body)
					w.WriteHeader(http.StatusOK)
				}))
				b.Cleanup(sink.Close)
				b.Setenv("OTEL_TRACES_EXPORTER", "otlp")
				b.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", sink.URL)
				b.Setenv("OTEL_TRACES_SAMPLER", mode.sampler)
				b.Setenv("OTEL_TRACES_SAMPLER_ARG", mode.arg)
			}
			tel, err := telemetry.New(ctx, telemetry.Options{Metrics: true})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = tel.Shutdown(ctx) })
			if tel.Tracing() != (mode.sampler != "") {
				b.Fatalf("tracing %t", tel.Tracing())
			}
			// Without fsync, so the calls' CPU cost, which tracing adds
			// to, is not lost in the disk's latency.
			kvs, err := local.Open(b.TempDir(), local.Options{Sync: local.SyncNone})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = kvs.Close() })
			store := telemetry.WrapKV(tel, kvs, "pebble")
			benchmarkHandler(b, store, func(o *sqsapi.Options) {
				calls, err := sqsotel.New(sqsotel.Options{Telemetry: tel, Engine: o.Engine})
				if err != nil {
					b.Fatal(err)
				}
				o.Telemetry = calls
			})
		})
	}
}
