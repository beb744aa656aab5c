package telemetry

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/sluice-mq/sluice/internal/blob"
)

// WrapBlob returns store with every call timed, its bytes counted, and
// traced as a child span when the caller's span is recorded. Metrics:
//
//	sluice_blob_operation_duration_seconds{operation,result=ok|error}
//	sluice_blob_bytes_total{operation=put|get}   the cold tier's bytes written and read
func WrapBlob(t *Telemetry, store blob.Store, driver string) blob.Store {
	if t == nil || store == nil {
		return store
	}
	m := t.Meter()
	return &tracedBlob{
		Store:  store,
		tracer: t.Tracer(),
		system: attribute.String("sluice.blob.driver", driver),
		dur: Must(m.Float64Histogram("sluice.blob.operation.duration", metric.WithUnit("s"),
			metric.WithDescription("Blob store calls (segment uploads, range reads, listings, deletes)."), LatencyBuckets())),
		bytes: Must(m.Int64Counter("sluice.blob.bytes", metric.WithUnit("By"),
			metric.WithDescription("Bytes written to (put) and read from (get) the blob store."))),
	}
}

type tracedBlob struct {
	blob.Store
	tracer trace.Tracer
	system attribute.KeyValue
	dur    metric.Float64Histogram
	bytes  metric.Int64Counter
}

func (s *tracedBlob) Put(ctx context.Context, key string, data []byte) error {
	_, err := observeBlob(s, ctx, "put", key, func(ctx context.Context) (int, error) {
		return len(data), s.Store.Put(ctx, key, data)
	})
	return err
}

func (s *tracedBlob) Get(ctx context.Context, key string) ([]byte, error) {
	var out []byte
	_, err := observeBlob(s, ctx, "get", key, func(ctx context.Context) (int, error) {
		var err error
		out, err = s.Store.Get(ctx, key)
		return len(out), err
	})
	return out, err
}

func (s *tracedBlob) GetRange(ctx context.Context, key string, offset, length int64) ([]byte, error) {
	var out []byte
	_, err := observeBlob(s, ctx, "get", key, func(ctx context.Context) (int, error) {
		var err error
		out, err = s.Store.GetRange(ctx, key, offset, length)
		return len(out), err
	})
	return out, err
}

func (s *tracedBlob) Delete(ctx context.Context, key string) error {
	_, err := observeBlob(s, ctx, "delete", key, func(ctx context.Context) (int, error) {
		return 0, s.Store.Delete(ctx, key)
	})
	return err
}

func (s *tracedBlob) List(ctx context.Context, opts blob.ListOptions) (blob.ListPage, error) {
	var out blob.ListPage
	_, err := observeBlob(s, ctx, "list", opts.Prefix, func(ctx context.Context) (int, error) {
		var err error
		out, err = s.Store.List(ctx, opts)
		return 0, err
	})
	return out, err
}

func observeBlob(s *tracedBlob, ctx context.Context, op, key string, do func(context.Context) (int, error)) (int, error) {
	var span trace.Span
	if trace.SpanFromContext(ctx).IsRecording() {
		ctx, span = s.tracer.Start(ctx, "blob "+op, trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(s.system, attribute.String("sluice.blob.key", key)))
	}
	start := time.Now()
	n, err := do(ctx)
	result := "ok"
	if err != nil {
		result = "error"
	}
	opAttr := attribute.String("operation", op)
	s.dur.Record(ctx, time.Since(start).Seconds(), metric.WithAttributes(opAttr, attribute.String("result", result)))
	if n > 0 {
		s.bytes.Add(ctx, int64(n), metric.WithAttributes(opAttr))
	}
	if span != nil {
		span.SetAttributes(attribute.Int("sluice.blob.bytes", n))
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}
	return n, err
}
