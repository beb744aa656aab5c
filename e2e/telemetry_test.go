package e2e

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/sluice-mq/sluice/e2e/internal/sluiceproc"
)

// scrape reads the Prometheus endpoint sluice dev printed, parsed with the
// Prometheus text parser.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	return families
}

// sample sums the samples of a family whose labels include want: counter
// and gauge values, histogram sample counts.
func sample(families map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	sum := 0.0
	f := families[name]
	if f == nil {
		return 0
	}
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
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

// TestMetricsScrapeCountsCalls runs a workload against sluice dev with
// aws-sdk-go-v2 and scrapes /metrics (on by default, its URL printed):
// every counter equals the calls made.
func TestMetricsScrapeCountsCalls(t *testing.T) {
	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	url := p.Endpoint + "/metrics"
	c := sqsClient(p, p.SecretKey)
	ctx := context.Background()
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("metered")})
	if err != nil {
		t.Fatal(err)
	}
	const sends, batches, batchSize = 7, 2, 3
	for i := range sends {
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(fmt.Sprintf("message %d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	for b := range batches {
		var entries []types.SendMessageBatchRequestEntry
		for i := range batchSize {
			entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), MessageBody: aws.String(fmt.Sprintf("batch %d entry %d", b, i))})
		}
		if _, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q.QueueUrl, Entries: entries}); err != nil {
			t.Fatal(err)
		}
	}
	total := sends + batches*batchSize
	before := scrape(t, url)
	queue := map[string]string{"tenant": p.AccountID, "queue": "metered"}
	if got := sample(before, "sluice_queue_messages", map[string]string{"tenant": p.AccountID, "queue": "metered", "state": "visible"}); got != float64(total) {
		t.Errorf("visible messages %v, want %d", got, total)
	}
	received, receives, deleted := 0, 0, 0
	for received < total {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		receives++
		received += len(out.Messages)
		for _, m := range out.Messages {
			if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q.QueueUrl, ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
			deleted++
		}
	}
	const empties = 2
	for range empties {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl})
		if err != nil || len(out.Messages) != 0 {
			t.Fatalf("receive on an empty queue: %v, %d messages", err, len(out.Messages))
		}
	}
	receives += empties
	_, err = c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("absent")})
	if err == nil {
		t.Fatal("GetQueueUrl of a missing queue succeeded")
	}

	m := scrape(t, url)
	tenant := func(action, result string) map[string]string {
		return map[string]string{"tenant": p.AccountID, "action": action, "result": result}
	}
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   int
	}{
		{"sluice_messages_sent_total", queue, total},
		{"sluice_messages_received_total", queue, total},
		{"sluice_messages_deleted_total", queue, deleted},
		{"sluice_empty_receives_total", queue, empties},
		{"sluice_sent_message_size_bytes", queue, total},
		{"sluice_requests_total", tenant("SendMessage", "ok"), sends},
		{"sluice_requests_total", tenant("SendMessageBatch", "ok"), batches},
		{"sluice_requests_total", tenant("ReceiveMessage", "ok"), receives},
		{"sluice_requests_total", tenant("DeleteMessage", "ok"), deleted},
		{"sluice_requests_total", tenant("CreateQueue", "ok"), 1},
		{"sluice_requests_total", tenant("GetQueueUrl", "AWS.SimpleQueueService.NonExistentQueue"), 1},
		// Every call here is under 64 KiB: one request unit each.
		{"sluice_request_units_total", map[string]string{"tenant": p.AccountID}, sends + batches + receives + deleted + 2},
		{"sluice_request_duration_seconds", map[string]string{"action": "SendMessage", "result": "ok"}, sends},
		{"sluice_queue_messages", map[string]string{"tenant": p.AccountID, "queue": "metered", "state": "visible"}, 0},
	} {
		if got := sample(m, tc.name, tc.labels); got != float64(tc.want) {
			t.Errorf("%s%v = %v, want %d", tc.name, tc.labels, got, tc.want)
		}
	}
	if sample(m, "sluice_kv_transaction_duration_seconds", map[string]string{"kind": "update"}) == 0 {
		t.Error("no store transaction timed")
	}
	if m["sluice_long_poll_waiters"] == nil {
		t.Error("no sluice_long_poll_waiters gauge")
	}
}
