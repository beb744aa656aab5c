package telemetry

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/sluice-mq/sluice/internal/kv"
)

// WrapKV returns store with every transaction timed and counted, and
// traced as a child span when the caller's span is recorded (background
// loops, which have none, make no root spans). driver names the store in
// the db.system.name attribute ("pebble", "tikv"). Metrics:
//
//	sluice_kv_transaction_duration_seconds{kind=update|view,result=ok|error|conflict|dropped}
//	sluice_kv_transaction_retries_total{kind}   attempts beyond the first
//	sluice_kv_transaction_conflicts_total{kind} transactions that needed one or more
//
// A retried attempt is one that hit a write conflict or another retryable
// store error (kv.Retry).
func WrapKV(t *Telemetry, store kv.Store, driver string) kv.Store {
	if t == nil {
		return store
	}
	m := t.Meter()
	s := &tracedKV{
		Store:  store,
		tracer: t.Tracer(),
		system: attribute.String("db.system.name", driver),
		update: kvKind{attr: attribute.String("kind", "update")},
		view:   kvKind{attr: attribute.String("kind", "view")},
		lazy:   kvKind{attr: attribute.String("kind", "update_lazy")},
		dur: Must(m.Float64Histogram("sluice.kv.transaction.duration", metric.WithUnit("s"),
			metric.WithDescription("Store transactions, from the first attempt to the commit or failure."), LatencyBuckets())),
		retries: Must(m.Int64Counter("sluice.kv.transaction.retries", metric.WithUnit("{attempt}"),
			metric.WithDescription("Store transaction attempts beyond the first (conflicts and other retryable errors)."))),
		conflicts: Must(m.Int64Counter("sluice.kv.transaction.conflicts", metric.WithUnit("{transaction}"),
			metric.WithDescription("Store transactions that conflicted at least once."))),
	}
	for _, k := range []*kvKind{&s.update, &s.view, &s.lazy} {
		k.only = metric.WithAttributes(k.attr)
		for i, result := range kvResults {
			k.byResult[i] = metric.WithAttributes(k.attr, attribute.String("result", result))
		}
	}
	return s
}

type tracedKV struct {
	kv.Store
	tracer             trace.Tracer
	system             attribute.KeyValue
	dur                metric.Float64Histogram
	retries, conflicts metric.Int64Counter
	update             kvKind
	view               kvKind
	lazy               kvKind
}

// kvKind is a kind of transaction with its metric label sets, built once:
// building a set sorts and allocates, and every transaction records one.
type kvKind struct {
	attr     attribute.KeyValue
	only     metric.MeasurementOption // the kind alone
	byResult [len(kvResults)]metric.MeasurementOption
}

// A transaction's result, an index into kvResults, its label.
const (
	resultOK = iota
	resultConflict
	resultDropped
	resultError
)

var kvResults = [...]string{resultOK: "ok", resultConflict: "conflict", resultDropped: "dropped", resultError: "error"}

func kvResult(err error) int {
	switch {
	case err == nil:
		return resultOK
	case errors.Is(err, kv.ErrConflict):
		return resultConflict
	case errors.Is(err, kv.ErrDropped):
		return resultDropped
	}
	return resultError
}

func (s *tracedKV) Update(ctx context.Context, fn func(tx kv.Txn) error) error {
	return s.run(ctx, "kv update", &s.update, func(ctx context.Context, count func()) error {
		return s.Store.Update(ctx, func(tx kv.Txn) error { count(); return fn(tx) })
	})
}

// UpdateLazy keeps the wrapped store's lazy commits (kv.LazyUpdater).
func (s *tracedKV) UpdateLazy(ctx context.Context, fn func(tx kv.Txn) error) error {
	return s.run(ctx, "kv update", &s.lazy, func(ctx context.Context, count func()) error {
		return kv.UpdateLazy(ctx, s.Store, func(tx kv.Txn) error { count(); return fn(tx) })
	})
}

func (s *tracedKV) View(ctx context.Context, fn func(r kv.Reader) error) error {
	return s.run(ctx, "kv view", &s.view, func(ctx context.Context, count func()) error {
		return s.Store.View(ctx, func(r kv.Reader) error { count(); return fn(r) })
	})
}

// Unwrap returns the wrapped store.
func (s *tracedKV) Unwrap() kv.Store { return s.Store }

func (s *tracedKV) run(ctx context.Context, name string, kind *kvKind, do func(context.Context, func()) error) error {
	var span trace.Span
	if trace.SpanFromContext(ctx).IsRecording() {
		ctx, span = s.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(s.system, kind.attr))
	}
	attempts := 0
	start := time.Now()
	err := do(ctx, func() { attempts++ })
	elapsed := time.Since(start).Seconds()
	r := kvResult(err)
	s.dur.Record(ctx, elapsed, kind.byResult[r])
	if attempts > 1 {
		s.retries.Add(ctx, int64(attempts-1), kind.only)
		s.conflicts.Add(ctx, 1, kind.only)
	}
	if span != nil {
		span.SetAttributes(attribute.Int("sluice.kv.attempts", attempts), attribute.Int("sluice.kv.retries", max(attempts-1, 0)))
		if r != resultOK && r != resultDropped {
			span.RecordError(err)
			span.SetStatus(codes.Error, kvResults[r])
		}
		span.End()
	}
	return err
}
