// Package sqsotel traces and measures SQS calls: one SERVER span per call,
// named after the OpenTelemetry messaging conventions ("send orders",
// "receive orders", "settle orders"; other actions by their name), the
// per-queue CloudWatch-like counters and gauges, the per-tenant call
// counters (as an admission.Meter, so they count exactly what metering
// counts) and the per-node request latencies and long-poll waiters.
//
// The metric names and labels are listed in docs/architecture.md §9. A
// nil *Calls records nothing.
package sqsotel

import (
	"context"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/sluice-mq/sluice/billing/meter"
	"github.com/sluice-mq/sluice/data-plane/admission"
	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/quota"
	"github.com/sluice-mq/sluice/internal/telemetry"
)

// DefaultQueueSeries is the default number of queues a node gives series
// of their own.
const DefaultQueueSeries = 100

// Options configures Calls.
type Options struct {
	Telemetry *telemetry.Telemetry
	// Engine is read for the per-queue gauges and long-poll waiters; nil
	// reports none.
	Engine *engine.Engine
	// QueueSeries is how many queues get series of their own on this node
	// (0: DefaultQueueSeries; negative: none, every queue is "_other").
	QueueSeries int
	// QueueSeriesOff lists accounts whose queues never get series of their
	// own.
	QueueSeriesOff []string
	// GaugeTimeout bounds one scrape's reads of the queue gauges (default 2 s).
	GaugeTimeout time.Duration
}

// Calls makes the spans and metrics of a node's SQS calls.
type Calls struct {
	tracer  trace.Tracer
	prop    propagation.TextMapPropagator
	tracing bool
	series  *queueSeries
	engine  *engine.Engine
	timeout time.Duration

	duration                       metric.Float64Histogram
	sent, received, deleted, empty metric.Int64Counter
	sentSize                       metric.Int64Histogram
	requests, throttled, units     metric.Int64Counter
	bytes                          metric.Int64Counter

	results *optionCache[[2]string, metric.MeasurementOption] // action, result
	tenants *optionCache[usageLabels, usageOptions]
}

// optionsCached bounds each cache of label sets: more than the actions
// and error codes a node answers with, and the tenants busy on it.
const optionsCached = 4096

// New returns Calls recording through opts.Telemetry.
func New(opts Options) (*Calls, error) {
	t := opts.Telemetry
	if opts.QueueSeries == 0 {
		opts.QueueSeries = DefaultQueueSeries
	}
	if opts.GaugeTimeout <= 0 {
		opts.GaugeTimeout = 2 * time.Second
	}
	m := t.Meter()
	must := telemetry.Must[metric.Int64Counter]
	c := &Calls{
		tracer: t.Tracer(), prop: t.Propagator(), tracing: t.Tracing(),
		series: newQueueSeries(opts.QueueSeries, opts.QueueSeriesOff), engine: opts.Engine, timeout: opts.GaugeTimeout,
		results: newOptionCache[[2]string, metric.MeasurementOption](optionsCached),
		tenants: newOptionCache[usageLabels, usageOptions](optionsCached),
		duration: telemetry.Must(m.Float64Histogram("sluice.request.duration", metric.WithUnit("s"),
			metric.WithDescription("SQS calls on this node, from the request's arrival to its answer, by action and result."), telemetry.LatencyBuckets())),
		sent:     must(m.Int64Counter("sluice.messages.sent", metric.WithUnit("{message}"), metric.WithDescription("Messages stored by SendMessage and SendMessageBatch (NumberOfMessagesSent)."))),
		received: must(m.Int64Counter("sluice.messages.received", metric.WithUnit("{message}"), metric.WithDescription("Messages handed out by ReceiveMessage (NumberOfMessagesReceived)."))),
		deleted:  must(m.Int64Counter("sluice.messages.deleted", metric.WithUnit("{message}"), metric.WithDescription("Messages deleted by DeleteMessage and DeleteMessageBatch (NumberOfMessagesDeleted)."))),
		empty:    must(m.Int64Counter("sluice.empty_receives", metric.WithUnit("{call}"), metric.WithDescription("ReceiveMessage calls that returned no message (NumberOfEmptyReceives)."))),
		sentSize: telemetry.Must(m.Int64Histogram("sluice.sent_message.size", metric.WithUnit("By"),
			metric.WithDescription("Size of each message sent, body plus attributes (SentMessageSize)."),
			metric.WithExplicitBucketBoundaries(256, 1024, 4096, 16384, 65536, 262144, 1048576))),
		requests:  must(m.Int64Counter("sluice.requests", metric.WithUnit("{call}"), metric.WithDescription("SQS and control-plane queue calls by tenant, action and result (the SQS error code, ok, or unauthenticated)."))),
		throttled: must(m.Int64Counter("sluice.throttled_requests", metric.WithUnit("{call}"), metric.WithDescription("Calls refused by a tenant's rate quota."))),
		units:     must(m.Int64Counter("sluice.request_units", metric.WithUnit("{unit}"), metric.WithDescription("Metered request units (each 64 KiB of payload is one), as billing counts them."))),
		bytes:     must(m.Int64Counter("sluice.message_bytes", metric.WithUnit("By"), metric.WithDescription("Message bytes (bodies plus attributes) stored (in) and handed out (out), by tenant."))),
	}
	if opts.Engine != nil {
		if err := c.registerGauges(m); err != nil {
			return nil, err
		}
		if c.tracing {
			opts.Engine.ObserveMoveTasks(c.moveBatch)
		}
	}
	return c, nil
}

// Call is one SQS call being traced.
type Call struct {
	c     *Calls
	span  trace.Span
	start time.Time
}

// Start begins a call's span, a child of the W3C trace context in the
// request's headers. The name is set when the call ends and its queue is
// known; samplers see "sqs".
func (c *Calls) Start(ctx context.Context, r *http.Request) (context.Context, *Call) {
	if c == nil {
		return ctx, nil
	}
	call := &Call{c: c, start: time.Now()}
	if c.tracing {
		ctx = c.prop.Extract(ctx, propagation.HeaderCarrier(r.Header))
		ctx, call.span = c.tracer.Start(ctx, "sqs", trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attrSystem, attrRPCSystem, attrRPCService))
	}
	return ctx, call
}

// Info is what an SQS call did, as the API layer saw it.
type Info struct {
	Action string
	Queue  queues.Ref // zero for calls on no queue (ListQueues)
	// Code is the SQS error code of a failed call; "" is success.
	Code string
	// Batch is true for the *Batch actions; Entries is then the request's
	// entry count.
	Batch   bool
	Entries int
	// MessageIDs are the ids of the messages sent or received.
	MessageIDs []string
	// SentSizes are the sizes (body plus attributes) of the messages
	// stored.
	SentSizes []int
	Received  int
	Deleted   int
	// TraceHeaders are the AWSTraceHeader values of the messages
	// received; each valid one becomes a span link.
	TraceHeaders []string
	// Moved are the messages a receive moved to the dead-letter queue:
	// each is an event, and a link when its AWSTraceHeader is valid.
	Moved []engine.MessageMove
}

var (
	attrSystem     = attribute.String("messaging.system", "aws_sqs")
	attrRPCSystem  = attribute.String("rpc.system", "aws-api")
	attrRPCService = attribute.String("rpc.service", "AmazonSQS")
)

// operation returns the messaging operation of an action: its name and
// type; "" for actions that move no message.
func operation(action string) (name, typ string) {
	switch action {
	case "SendMessage", "SendMessageBatch":
		return "send", "send"
	case "ReceiveMessage":
		return "receive", "receive"
	case "DeleteMessage", "DeleteMessageBatch", "ChangeMessageVisibility", "ChangeMessageVisibilityBatch":
		return "settle", "settle"
	}
	return "", ""
}

// End closes the call: its metrics, and its span's name and attributes.
func (call *Call) End(info Info) {
	if call == nil {
		return
	}
	c := call.c
	ctx := context.Background()
	result := "ok"
	if info.Code != "" {
		result = info.Code
	}
	action := info.Action
	if action == "" {
		action = "unknown"
	}
	c.duration.Record(ctx, time.Since(call.start).Seconds(), c.results.get([2]string{action, result}, func() metric.MeasurementOption {
		return metric.WithAttributes(attribute.String("action", action), attribute.String("result", result))
	}))
	if info.Queue.Name != "" && info.Code == "" {
		qs := c.series.labels(info.Queue)
		switch action {
		case "SendMessage", "SendMessageBatch":
			c.sent.Add(ctx, int64(len(info.SentSizes)), qs)
			for _, n := range info.SentSizes {
				c.sentSize.Record(ctx, int64(n), qs)
			}
		case "ReceiveMessage":
			c.received.Add(ctx, int64(info.Received), qs)
			if info.Received == 0 {
				c.empty.Add(ctx, 1, qs)
			}
		case "DeleteMessage", "DeleteMessageBatch":
			c.deleted.Add(ctx, int64(info.Deleted), qs)
		case "DeleteQueue":
			c.series.forget(info.Queue)
		}
	}
	if call.span != nil {
		call.endSpan(info, action)
	}
}

func (call *Call) endSpan(info Info, action string) {
	span := call.span
	defer span.End()
	op, typ := operation(action)
	name := action
	if op != "" && info.Queue.Name != "" {
		name = op + " " + info.Queue.Name
	}
	span.SetName(name)
	attrs := []attribute.KeyValue{attribute.String("rpc.method", action)}
	if op != "" {
		attrs = append(attrs, attribute.String("messaging.operation.name", op), attribute.String("messaging.operation.type", typ))
	}
	if info.Queue.Name != "" {
		attrs = append(attrs, attribute.String("messaging.destination.name", info.Queue.Name),
			attribute.String("cloud.account.id", info.Queue.Account), attribute.String("cloud.region", info.Queue.Region))
	}
	if info.Batch {
		attrs = append(attrs, attribute.Int("messaging.batch.message_count", info.Entries))
	} else if action == "ReceiveMessage" && info.Received > 1 {
		attrs = append(attrs, attribute.Int("messaging.batch.message_count", info.Received))
	}
	if len(info.MessageIDs) == 1 && !info.Batch {
		attrs = append(attrs, attribute.String("messaging.message.id", info.MessageIDs[0]))
	}
	if len(info.SentSizes) == 1 && !info.Batch {
		attrs = append(attrs, attribute.Int("messaging.message.body.size", info.SentSizes[0]))
	}
	if info.Code != "" {
		attrs = append(attrs, attribute.String("error.type", info.Code), attribute.String("aws.error.code", info.Code))
		span.SetStatus(codes.Error, info.Code)
	}
	span.SetAttributes(attrs...)
	for _, h := range info.TraceHeaders {
		if sc, ok := telemetry.ParseXRay(h); ok {
			span.AddLink(trace.Link{SpanContext: sc, Attributes: []attribute.KeyValue{attribute.String("messaging.operation.type", "create")}})
		}
	}
	recordMoves(span, EventDeadLetter, info.Moved)
}

// Span events and attributes of moved messages.
const (
	// EventDeadLetter is the receive span's event for each message it
	// moved to the dead-letter queue.
	EventDeadLetter = "sluice.dead_letter"
	// EventMove is a move-task batch span's event for each message moved.
	EventMove = "sluice.move"
	// AttrMoveSource and AttrMoveDestination are the queues' ARNs, on the
	// events and on the links to the moved messages' producers.
	AttrMoveSource      = "sluice.move.source"
	AttrMoveDestination = "sluice.move.destination"
)

// recordMoves adds an event per moved message (its id, source and
// destination) and a link to each one's AWSTraceHeader context.
func recordMoves(span trace.Span, event string, moves []engine.MessageMove) {
	for _, m := range moves {
		attrs := []attribute.KeyValue{attribute.String("messaging.message.id", m.MessageID),
			attribute.String(AttrMoveSource, m.Source), attribute.String(AttrMoveDestination, m.Destination)}
		span.AddEvent(event, trace.WithAttributes(attrs...))
		if sc, ok := telemetry.ParseXRay(m.TraceHeader); ok {
			span.AddLink(trace.Link{SpanContext: sc, Attributes: attrs})
		}
	}
}

// moveBatch makes the span of one committed batch of a message move task
// (a background loop, so a root span): "move {source queue}", from the
// batch's start to its commit, with an event and a link per message.
func (c *Calls) moveBatch(start, end time.Time, moves []engine.MessageMove) {
	if len(moves) == 0 {
		return
	}
	src, _ := queues.ParseARN(moves[0].Source)
	_, span := c.tracer.Start(context.Background(), "move "+src.Name, trace.WithNewRoot(), trace.WithTimestamp(start),
		trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(attrSystem, attribute.String("messaging.operation.name", "move"),
			attribute.String("messaging.destination.name", src.Name), attribute.String(AttrMoveSource, moves[0].Source),
			attribute.String("cloud.account.id", src.Account), attribute.String("cloud.region", src.Region),
			attribute.Int("messaging.batch.message_count", len(moves))))
	recordMoves(span, EventMove, moves)
	span.End(trace.WithTimestamp(end))
}

// Count is the per-tenant half of the metrics: as an admission.Meter it
// sees every call the gate admitted, throttled, or refused for a bad
// signature of a known access key.
func (c *Calls) Count(u admission.Usage) {
	if c == nil {
		return
	}
	ctx := context.Background()
	result := "ok"
	switch {
	case u.Unauthenticated:
		result = "unauthenticated"
	case u.Code != "":
		result = u.Code
	}
	o := c.tenants.get(usageLabels{u.Account, u.Action, u.API.String(), result}, func() usageOptions {
		return newUsageOptions(u.Account, u.Action, u.API.String(), result)
	})
	c.requests.Add(ctx, 1, o.call)
	if u.Throttled {
		c.throttled.Add(ctx, 1, o.action)
	}
	if !u.Throttled && !u.Unauthenticated {
		units := int64(1)
		switch quota.ClassOf(u.Action) {
		case quota.Send:
			units = meter.Units(u.InBytes)
		case quota.Receive:
			units = meter.Units(u.OutBytes)
		}
		c.units.Add(ctx, units, o.action)
	}
	if u.InBytes > 0 {
		c.bytes.Add(ctx, u.InBytes, o.in)
	}
	if u.OutBytes > 0 {
		c.bytes.Add(ctx, u.OutBytes, o.out)
	}
}

// usageLabels are the labels of a call's per-tenant counters.
type usageLabels struct{ tenant, action, api, result string }

// usageOptions are the label sets of a call's per-tenant counters.
type usageOptions struct {
	call   metric.MeasurementOption // tenant, action, api, result
	action metric.MeasurementOption // tenant, action
	in     metric.MeasurementOption // tenant, direction in
	out    metric.MeasurementOption // tenant, direction out
}

func newUsageOptions(tenant, action, api, result string) usageOptions {
	t, a := attribute.String("tenant", tenant), attribute.String("action", action)
	return usageOptions{
		call:   metric.WithAttributes(t, a, attribute.String("api", api), attribute.String("result", result)),
		action: metric.WithAttributes(t, a),
		in:     metric.WithAttributes(t, attribute.String("direction", "in")),
		out:    metric.WithAttributes(t, attribute.String("direction", "out")),
	}
}

// Meters returns an admission.Meter that tells each of ms (nil ones
// skipped) of every call.
func Meters(ms ...admission.Meter) admission.Meter {
	var out tee
	for _, m := range ms {
		switch v := m.(type) {
		case nil:
		case *Calls:
			if v != nil {
				out = append(out, v)
			}
		case *meter.Meter:
			if v != nil {
				out = append(out, v)
			}
		default:
			out = append(out, m)
		}
	}
	switch len(out) {
	case 0:
		return nil
	case 1:
		return out[0]
	}
	return out
}

type tee []admission.Meter

func (t tee) Count(u admission.Usage) {
	for _, m := range t {
		m.Count(u)
	}
}
