package queue

import (
	"context"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// tracerName names this package's tracer.
const tracerName = "github.com/sluice-mq/sluice/sdk/queue"

// Tracing runs each handler in a consumer span whose parent is the
// producer's span, read from the AWSTraceHeader system attribute (which
// Producer.Send fills from its context); a message without one starts a
// new trace. A failed handler marks the span as an error.
func Tracing(tp trace.TracerProvider, queueName string) Middleware {
	tracer := tp.Tracer(tracerName)
	return func(next Handler) Handler {
		return func(ctx context.Context, m *Received) error {
			if sc, ok := spanContextFrom(m.TraceHeader); ok {
				ctx = trace.ContextWithRemoteSpanContext(ctx, sc)
			}
			ctx, span := tracer.Start(ctx, queueName+" process", trace.WithSpanKind(trace.SpanKindConsumer))
			defer span.End()
			err := next(ctx, m)
			if err != nil {
				span.RecordError(err)
				span.SetStatus(codes.Error, err.Error())
			}
			return err
		}
	}
}
