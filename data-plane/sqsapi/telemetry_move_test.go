package sqsapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/sluice-mq/sluice/data-plane/sqsapi"
	"github.com/sluice-mq/sluice/data-plane/sqsotel"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
	"github.com/sluice-mq/sluice/internal/telemetry"
)

// TestTelemetryMoveLinks: the receive that moves a message to its
// dead-letter queue has an event naming source and DLQ and a link to the
// message's AWSTraceHeader context; a message move task's batch span
// ("move {dlq}") has the same for the message it moves back.
func TestTelemetryMoveLinks(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tel, err := telemetry.New(ctx, telemetry.Options{SpanExporter: exp, Sampler: sdktrace.AlwaysSample()})
	if err != nil {
		t.Fatal(err)
	}
	s := newServer(t, kvtest.Drivers()[0].Open(t), func(o *sqsapi.Options) {
		calls, err := sqsotel.New(sqsotel.Options{Telemetry: tel, Engine: o.Engine})
		if err != nil {
			t.Fatal(err)
		}
		o.Telemetry, o.Gate = calls, nil
	})
	c := sqs.New(sqs.Options{Region: region, BaseEndpoint: aws.String(s.URL),
		Credentials: s.client("KEYA").Options().Credentials, HTTPClient: &http.Client{Transport: s.Client().Transport}})
	_, err = c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("dlq")})
	if err != nil {
		t.Fatal(err)
	}
	dlqARN := "arn:aws:sqs:" + region + ":" + accountA + ":dlq"
	srcARN := "arn:aws:sqs:" + region + ":" + accountA + ":src"
	src, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("src"), Attributes: map[string]string{
		"VisibilityTimeout": "0", "RedrivePolicy": `{"deadLetterTargetArn":"` + dlqARN + `","maxReceiveCount":1}`}})
	if err != nil {
		t.Fatal(err)
	}
	_, producer := tel.Tracer().Start(ctx, "create order", trace.WithSpanKind(trace.SpanKindProducer))
	producer.End()
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: src.QueueUrl, MessageBody: aws.String("poison"),
		MessageSystemAttributes: map[string]types.MessageSystemAttributeValue{"AWSTraceHeader": {
			DataType: aws.String("String"), StringValue: aws.String(telemetry.FormatXRay(producer.SpanContext()))}}}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 { // the first receive takes it; the second moves it
		got, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: src.QueueUrl})
		if err != nil || len(got.Messages) != 1-i {
			t.Fatalf("receive %d: %v, %d messages", i, err, len(got.Messages))
		}
	}
	wantMoveLinked := func(sp sdktrace.ReadOnlySpan, event, from, to string) {
		t.Helper()
		var ev bool
		for _, e := range sp.Events() {
			attrs := map[string]string{}
			for _, a := range e.Attributes {
				attrs[string(a.Key)] = a.Value.AsString()
			}
			if e.Name == event && attrs[sqsotel.AttrMoveSource] == from && attrs[sqsotel.AttrMoveDestination] == to && attrs["messaging.message.id"] != "" {
				ev = true
			}
		}
		if !ev {
			t.Errorf("span %q: no event %s %s → %s in %+v", sp.Name(), event, from, to, sp.Events())
		}
		var linked bool
		for _, l := range sp.Links() {
			linked = linked || (l.SpanContext.TraceID() == producer.SpanContext().TraceID() && l.SpanContext.SpanID() == producer.SpanContext().SpanID())
		}
		if !linked {
			t.Errorf("span %q: no link to the producer %v in %+v", sp.Name(), producer.SpanContext(), sp.Links())
		}
	}
	find := func(name string, with func(sdktrace.ReadOnlySpan) bool) sdktrace.ReadOnlySpan {
		for _, sp := range exp.GetSpans().Snapshots() {
			if sp.Name() == name && with(sp) {
				return sp
			}
		}
		return nil
	}
	moved := find("receive src", func(sp sdktrace.ReadOnlySpan) bool { return len(sp.Events()) > 0 })
	if moved == nil {
		t.Fatal("no receive span with a dead-letter event")
	}
	wantMoveLinked(moved, sqsotel.EventDeadLetter, srcARN, dlqARN)

	// Redrive it back with a move task: the batch's span links too.
	if _, err := c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(dlqARN)}); err != nil {
		t.Fatal(err)
	}
	var batch sdktrace.ReadOnlySpan
	for deadline := time.Now().Add(10 * time.Second); batch == nil && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		batch = find("move dlq", func(sdktrace.ReadOnlySpan) bool { return true })
	}
	if batch == nil {
		t.Fatal("no move dlq span within 10 s")
	}
	if batch.Parent().IsValid() {
		t.Errorf("move span has a parent %v; a background batch is a root", batch.Parent())
	}
	wantAttr(t, batch, "messaging.batch.message_count", int64(1))
	wantMoveLinked(batch, sqsotel.EventMove, dlqARN, srcARN)
}
