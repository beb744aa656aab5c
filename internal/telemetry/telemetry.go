// Package telemetry sets up a node's OpenTelemetry providers: traces
// exported over OTLP/HTTP when the standard OTEL_* variables ask for it
// (off otherwise), and metrics served in the Prometheus text format by
// MetricsHandler. It also holds what both planes share: the decorators
// that trace and time the kv and blob stores, the control plane's echo
// middleware, and the X-Ray trace header (AWSTraceHeader) mapping.
//
// A nil *Telemetry is valid and records nothing.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// ScopeName is the instrumentation scope of every span and instrument
// Sluice makes.
const ScopeName = "github.com/sluice-mq/sluice"

// Options configures New.
type Options struct {
	// Metrics builds the meter provider and the Prometheus registry
	// MetricsHandler serves; false records no metrics.
	Metrics bool
	// ServiceVersion is the resource's service.version.
	ServiceVersion string
	// Getenv reads the OTEL_* variables; nil is os.Getenv. (The sampler's
	// OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG, and the exporter's
	// OTEL_EXPORTER_OTLP_* settings, are read by the SDK from the process
	// environment.)
	Getenv func(string) string
	// SpanExporter, when set, turns tracing on and exports to it
	// synchronously, whatever the environment says (tests use
	// tracetest.NewInMemoryExporter).
	SpanExporter sdktrace.SpanExporter
	// Sampler overrides the environment's sampler (with SpanExporter).
	Sampler sdktrace.Sampler
}

// Telemetry is a node's providers.
type Telemetry struct {
	tracer     trace.TracerProvider
	meter      metric.MeterProvider
	propagator propagation.TextMapPropagator
	metrics    http.Handler
	tracing    bool
	shutdown   []func(context.Context) error
}

// Tracing reports whether spans are recorded and exported.
func (t *Telemetry) Tracing() bool { return t != nil && t.tracing }

// New builds the providers. Tracing is on when OTEL_TRACES_EXPORTER is
// "otlp", or unset with OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT set; "none", or OTEL_SDK_DISABLED=true,
// turns it off. Only the http/protobuf protocol is built in.
func New(ctx context.Context, opts Options) (*Telemetry, error) {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	t := &Telemetry{
		tracer:     tracenoop.NewTracerProvider(),
		meter:      metricnoop.NewMeterProvider(),
		propagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", "sluice"), attribute.String("service.version", opts.ServiceVersion)),
		resource.WithFromEnv(), // OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES
		resource.WithHost(),
	)
	if err != nil && res == nil {
		return nil, fmt.Errorf("telemetry resource: %w", err)
	}
	exporter := opts.SpanExporter
	if exporter == nil {
		on, err := tracesWanted(getenv)
		if err != nil {
			return nil, err
		}
		if on {
			exporter, err = otlptracehttp.New(ctx)
			if err != nil {
				return nil, fmt.Errorf("OTLP trace exporter (OTEL_EXPORTER_OTLP_*): %w", err)
			}
		}
	}
	if exporter != nil {
		topts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
		if opts.SpanExporter != nil {
			topts = append(topts, sdktrace.WithSyncer(exporter))
		} else {
			topts = append(topts, sdktrace.WithBatcher(exporter))
		}
		if opts.Sampler != nil {
			topts = append(topts, sdktrace.WithSampler(opts.Sampler))
		}
		tp := sdktrace.NewTracerProvider(topts...)
		t.tracer, t.tracing = tp, true
		t.shutdown = append(t.shutdown, tp.Shutdown)
	}
	if opts.Metrics {
		reg := prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		exp, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo())
		if err != nil {
			return nil, fmt.Errorf("prometheus exporter: %w", err)
		}
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp), sdkmetric.WithResource(res))
		t.meter = mp
		t.metrics = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
		t.shutdown = append(t.shutdown, mp.Shutdown)
	}
	return t, nil
}

// tracesWanted reads the standard variables that turn trace export on.
func tracesWanted(getenv func(string) string) (bool, error) {
	if strings.EqualFold(getenv("OTEL_SDK_DISABLED"), "true") {
		return false, nil
	}
	switch exp := strings.ToLower(strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER"))); exp {
	case "none":
		return false, nil
	case "":
		if getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
			return false, nil
		}
	case "otlp":
	default:
		return false, fmt.Errorf("OTEL_TRACES_EXPORTER=%s: only otlp and none are supported", exp)
	}
	proto := getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if proto == "" {
		proto = getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	if proto != "" && proto != "http/protobuf" {
		return false, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL=%s: Sluice exports traces over http/protobuf only", proto)
	}
	return true, nil
}

// TracerProvider returns the tracer provider (a no-op one when tracing
// is off).
func (t *Telemetry) TracerProvider() trace.TracerProvider {
	if t == nil {
		return tracenoop.NewTracerProvider()
	}
	return t.tracer
}

// Tracer returns Sluice's tracer.
func (t *Telemetry) Tracer() trace.Tracer { return t.TracerProvider().Tracer(ScopeName) }

// Meter returns Sluice's meter (a no-op one when metrics are off).
func (t *Telemetry) Meter() metric.Meter {
	if t == nil {
		return metricnoop.NewMeterProvider().Meter(ScopeName)
	}
	return t.meter.Meter(ScopeName)
}

// Propagator extracts and injects W3C trace context and baggage.
func (t *Telemetry) Propagator() propagation.TextMapPropagator {
	if t == nil {
		return propagation.NewCompositeTextMapPropagator()
	}
	return t.propagator
}

// MetricsHandler serves the metrics in the Prometheus text format; nil
// when metrics are off.
func (t *Telemetry) MetricsHandler() http.Handler {
	if t == nil {
		return nil
	}
	return t.metrics
}

// Shutdown flushes the spans still buffered and stops the providers.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	var errs []error
	for _, f := range t.shutdown {
		errs = append(errs, f(ctx))
	}
	return errors.Join(errs...)
}

// Latency buckets, in seconds, for every duration histogram: 0.5 ms to
// 30 s (a long poll lasts up to 20 s).
var latencyBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30}

// LatencyBuckets returns the histogram option of Sluice's duration
// histograms.
func LatencyBuckets() metric.HistogramOption {
	return metric.WithExplicitBucketBoundaries(latencyBuckets...)
}

// Must returns v, or panics with err: instrument creation fails only on
// a bad name, a programming error.
func Must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("telemetry: %v", err))
	}
	return v
}
