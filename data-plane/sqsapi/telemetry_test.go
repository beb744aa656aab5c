package sqsapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/sluice-mq/sluice/data-plane/sqsapi"
	"github.com/sluice-mq/sluice/data-plane/sqsotel"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
	"github.com/sluice-mq/sluice/internal/telemetry"
)

// tracedTransport sends the W3C trace context of each request's context,
// as an instrumented producer's HTTP client does.
type tracedTransport struct {
	prop propagation.TextMapPropagator
	next http.RoundTripper
}

func (t tracedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	t.prop.Inject(r.Context(), propagation.HeaderCarrier(r.Header))
	return t.next.RoundTrip(r)
}

func spanAttr(s sdktrace.ReadOnlySpan, key string) (attribute.Value, bool) {
	for _, a := range s.Attributes() {
		if string(a.Key) == key {
			return a.Value, true
		}
	}
	return attribute.Value{}, false
}

func wantAttr(t *testing.T, s sdktrace.ReadOnlySpan, key string, want any) {
	t.Helper()
	v, ok := spanAttr(s, key)
	if !ok {
		t.Errorf("span %q: no attribute %s (has %v)", s.Name(), key, s.Attributes())
		return
	}
	if got := v.AsInterface(); got != want {
		t.Errorf("span %q: %s = %v (%T), want %v (%T)", s.Name(), key, got, got, want, want)
	}
}

// TestTelemetrySendReceiveDelete: one send → receive → delete through the
// SQS API, with aws-sdk-go-v2, yields a span per call named and
// attributed as the messaging conventions say; the send is a child of the
// producer's span (W3C traceparent), the receive links to the producer's
// span through AWSTraceHeader, which round-trips; store transactions are
// child spans; and the metrics count the calls.
func TestTelemetrySendReceiveDelete(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tel, err := telemetry.New(ctx, telemetry.Options{Metrics: true, SpanExporter: exp, Sampler: sdktrace.AlwaysSample()})
	if err != nil {
		t.Fatal(err)
	}
	store := telemetry.WrapKV(tel, kvtest.Drivers()[0].Open(t), "pebble")
	s := newServer(t, store, func(o *sqsapi.Options) {
		calls, err := sqsotel.New(sqsotel.Options{Telemetry: tel, Engine: o.Engine})
		if err != nil {
			t.Fatal(err)
		}
		o.Telemetry = calls
		o.Gate = nil // a gate over the engine's counts, metering nothing
	})
	c := sqs.New(sqs.Options{
		Region: region, BaseEndpoint: aws.String(s.URL),
		Credentials: s.client("KEYA").Options().Credentials,
		HTTPClient:  &http.Client{Transport: tracedTransport{prop: tel.Propagator(), next: s.Client().Transport}},
	})
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("orders")})
	if err != nil {
		t.Fatal(err)
	}

	// The producer's own span, as an instrumented application has.
	producerCtx, producer := tel.Tracer().Start(ctx, "create order", trace.WithSpanKind(trace.SpanKindProducer))
	header := telemetry.FormatXRay(producer.SpanContext())
	sent, err := c.SendMessage(producerCtx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("hello"),
		MessageSystemAttributes: map[string]types.MessageSystemAttributeValue{
			"AWSTraceHeader": {DataType: aws.String("String"), StringValue: aws.String(header)},
		}})
	producer.End()
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, WaitTimeSeconds: 1,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAWSTraceHeader}})
	if err != nil || len(got.Messages) != 1 {
		t.Fatalf("receive: %v, %d messages", err, len(got.Messages))
	}
	if h := got.Messages[0].Attributes["AWSTraceHeader"]; h != header {
		t.Fatalf("AWSTraceHeader came back %q, want %q", h, header)
	}
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q.QueueUrl, ReceiptHandle: got.Messages[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q.QueueUrl, Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("a"), MessageBody: aws.String("1")}, {Id: aws.String("b"), MessageBody: aws.String("22")},
	}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(s.URL + "/" + accountA + "/missing")})
	wantAPIError(t, err, "AWS.SimpleQueueService.NonExistentQueue")

	byName := map[string][]sdktrace.ReadOnlySpan{}
	spans := exp.GetSpans().Snapshots()
	for _, sp := range spans {
		byName[sp.Name()] = append(byName[sp.Name()], sp)
	}
	one := func(name string) sdktrace.ReadOnlySpan {
		t.Helper()
		if len(byName[name]) == 0 {
			var names []string
			for _, sp := range spans {
				names = append(names, sp.Name())
			}
			t.Fatalf("no span %q among %v", name, names)
		}
		return byName[name][0]
	}
	send, recv, settle := one("send orders"), one("receive orders"), one("settle orders")
	for _, sp := range []sdktrace.ReadOnlySpan{send, recv, settle} {
		if sp.SpanKind() != trace.SpanKindServer {
			t.Errorf("%s: kind %v, want server", sp.Name(), sp.SpanKind())
		}
		wantAttr(t, sp, "messaging.system", "aws_sqs")
		wantAttr(t, sp, "messaging.destination.name", "orders")
		wantAttr(t, sp, "cloud.account.id", accountA)
	}
	wantAttr(t, send, "messaging.operation.type", "send")
	wantAttr(t, send, "messaging.message.id", *sent.MessageId)
	wantAttr(t, send, "rpc.method", "SendMessage")
	wantAttr(t, recv, "messaging.operation.type", "receive")
	wantAttr(t, recv, "messaging.message.id", *sent.MessageId)
	wantAttr(t, settle, "messaging.operation.type", "settle")
	if _, ok := spanAttr(send, "messaging.batch.message_count"); ok {
		t.Error("a single send has messaging.batch.message_count")
	}
	// The send is a child of the producer's span (traceparent).
	if send.Parent().SpanID() != producer.SpanContext().SpanID() || send.SpanContext().TraceID() != producer.SpanContext().TraceID() {
		t.Errorf("send span's parent %v, want the producer's span %v", send.Parent(), producer.SpanContext())
	}
	// The receive starts its own trace and links to the producer.
	if recv.SpanContext().TraceID() == producer.SpanContext().TraceID() {
		t.Error("the receive joined the producer's trace; it should link to it")
	}
	if links := recv.Links(); len(links) != 1 || links[0].SpanContext.TraceID() != producer.SpanContext().TraceID() || links[0].SpanContext.SpanID() != producer.SpanContext().SpanID() {
		t.Errorf("receive links %+v, want one to the producer %v", links, producer.SpanContext())
	}
	batch := one("send orders")
	for _, sp := range byName["send orders"] {
		if v, ok := spanAttr(sp, "rpc.method"); ok && v.AsString() == "SendMessageBatch" {
			batch = sp
		}
	}
	wantAttr(t, batch, "messaging.batch.message_count", int64(2))
	failed := one("receive missing")
	wantAttr(t, failed, "error.type", "AWS.SimpleQueueService.NonExistentQueue")
	// Store transactions are children of the call's span.
	var kvChild bool
	for _, sp := range spans {
		if strings.HasPrefix(sp.Name(), "kv ") && sp.Parent().SpanID() == send.SpanContext().SpanID() {
			kvChild = true
			wantAttr(t, sp, "sluice.kv.attempts", int64(1))
		}
	}
	if !kvChild {
		t.Error("no kv span under the send span")
	}

	// The metrics count the calls.
	rec := httptest.NewRecorder()
	tel.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	counter := func(name string, labels map[string]string) float64 {
		t.Helper()
		f := families[name]
		if f == nil {
			t.Fatalf("no metric %s", name)
		}
		sum := 0.0
	metrics:
		for _, m := range f.GetMetric() {
			for k, v := range labels {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == k && lp.GetValue() == v {
						found = true
					}
				}
				if !found {
					continue metrics
				}
			}
			switch {
			case m.Counter != nil:
				sum += m.GetCounter().GetValue()
			case m.Gauge != nil:
				sum += m.GetGauge().GetValue()
			case m.Histogram != nil:
				sum += float64(m.GetHistogram().GetSampleCount())
			}
		}
		return sum
	}
	q1 := map[string]string{"tenant": accountA, "queue": "orders"}
	for name, want := range map[string]float64{
		"sluice_messages_sent_total":     3,
		"sluice_messages_received_total": 1,
		"sluice_messages_deleted_total":  1,
		"sluice_sent_message_size_bytes": 3, // histogram: sample count
	} {
		if got := counter(name, q1); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if got := counter("sluice_request_duration_seconds", map[string]string{"action": "ReceiveMessage", "result": "AWS.SimpleQueueService.NonExistentQueue"}); got != 1 {
		t.Errorf("failed receives timed: %v, want 1", got)
	}
	if got := counter("sluice_queue_messages", map[string]string{"tenant": accountA, "queue": "orders", "state": "visible"}); got != 2 {
		t.Errorf("visible messages %v, want 2", got)
	}
	if got := counter("sluice_kv_transaction_duration_seconds", map[string]string{"kind": "update"}); got == 0 {
		t.Error("no kv transaction timed")
	}
}
