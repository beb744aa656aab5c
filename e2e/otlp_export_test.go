package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sluice-mq/sluice/e2e/internal/sluiceproc"
)

// otlpSink is a stand-in OTLP/HTTP collector: it keeps the bodies posted
// to /v1/traces, unzipped.
type otlpSink struct {
	mu     sync.Mutex
	bodies [][]byte
}

func (s *otlpSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" {
		http.NotFound(w, r)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.bodies = append(s.bodies, b)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK) // an empty ExportTraceServiceResponse
}

// holds reports whether any export so far carries needle (span names are
// plain strings inside the protobuf).
func (s *otlpSink) holds(needle []byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range s.bodies {
		if bytes.Contains(b, needle) {
			return true
		}
	}
	return false
}

// TestTracesReachAnOTLPCollector runs sluice dev with the standard OTEL_*
// variables pointing at a collector and checks that the span of a send
// is exported there: the in-process span tests stop at the SDK, this one
// covers the exporter's configuration and wiring in the binary.
func TestTracesReachAnOTLPCollector(t *testing.T) {
	sink := &otlpSink{}
	collector := httptest.NewServer(sink)
	defer collector.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	t.Setenv("OTEL_TRACES_SAMPLER", "always_on")
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "100") // ms: export soon after the call
	t.Setenv("OTEL_SERVICE_NAME", "sluice-e2e-otlp")

	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	c := sqsClient(p, p.SecretKey)
	ctx := context.Background()
	const queue = "otlp-export-probe"
	url := aws.ToString(mustOK(c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(queue)}))(t).QueueUrl)
	mustOK(c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("traced")}))(t)

	want := []byte("send " + queue)
	deadline := time.Now().Add(15 * time.Second)
	for !sink.holds(want) {
		if time.Now().After(deadline) {
			sink.mu.Lock()
			n := len(sink.bodies)
			sink.mu.Unlock()
			t.Fatalf("no exported span named %q within 15 s (%d exports received)\n%s", want, n, p.Stderr())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !sink.holds([]byte("sluice-e2e-otlp")) {
		t.Error("exports do not name the service from OTEL_SERVICE_NAME")
	}
}
