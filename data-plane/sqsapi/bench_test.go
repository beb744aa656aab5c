package sqsapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sluice-mq/sluice/billing/meter"
	"github.com/sluice-mq/sluice/data-plane/admission"
	"github.com/sluice-mq/sluice/data-plane/sqsapi"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

// BenchmarkHandler measures the server's cost per call, without a client
// or a network: JSON requests straight into the handler on the durable
// local store, signatures trusted (sigv4 has its own benchmark).
func BenchmarkHandler(b *testing.B) { benchmarkHandler(b, kvtest.OpenLocal(b)) }

// BenchmarkMetering is BenchmarkHandler with and without a usage meter
// (flushing every 2 s, as on a node), alternated in one run so the
// difference is the meter's cost and not the machine's mood.
func BenchmarkMetering(b *testing.B) {
	for _, metered := range []bool{false, true} {
		b.Run(fmt.Sprintf("metered=%t", metered), func(b *testing.B) {
			store := kvtest.OpenLocal(b)
			if !metered {
				benchmarkHandler(b, store)
				return
			}
			m := meter.New(meter.Options{Store: store})
			m.Start(context.Background())
			defer func() { _ = m.Close(context.Background()) }()
			benchmarkHandler(b, store, func(o *sqsapi.Options) {
				o.Gate = admission.New(admission.Options{Counts: o.Engine, Meter: m})
			})
		})
	}
}

func benchmarkHandler(b *testing.B, store kv.Store, with ...func(*sqsapi.Options)) {
	h, e := newHandler(b, store, with...)
	if _, err := e.Catalog().Create(ctx, refA("bench"), nil, nil); err != nil {
		b.Fatal(err)
	}
	queueURL := "http://127.0.0.1/" + accountA + "/bench"
	body := strings.Repeat("x", 256)
	var entries []map[string]any
	for i := range 10 {
		entries = append(entries, map[string]any{"Id": fmt.Sprint(i), "MessageBody": body})
	}
	sendBatch, _ := json.Marshal(map[string]any{"QueueUrl": queueURL, "Entries": entries})
	receive, _ := json.Marshal(map[string]any{"QueueUrl": queueURL, "MaxNumberOfMessages": 10, "WaitTimeSeconds": 0})
	call := func(b *testing.B, action string, payload []byte) []byte {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(payload))
		req.Header.Set("X-Amz-Target", "AmazonSQS."+action)
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=KEYA/20261121/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%s: %d %s", action, rec.Code, rec.Body)
		}
		return rec.Body.Bytes()
	}
	b.Run("SendMessageBatch10", func(b *testing.B) {
		for b.Loop() {
			call(b, "SendMessageBatch", sendBatch)
		}
	})
	b.Run("ReceiveDeleteBatch10", func(b *testing.B) {
		for b.Loop() {
			var got struct {
				Messages []struct{ ReceiptHandle string }
			}
			if err := json.Unmarshal(call(b, "ReceiveMessage", receive), &got); err != nil || len(got.Messages) == 0 {
				b.StopTimer()
				call(b, "SendMessageBatch", sendBatch)
				b.StartTimer()
				continue
			}
			var del []map[string]string
			for i, m := range got.Messages {
				del = append(del, map[string]string{"Id": fmt.Sprint(i), "ReceiptHandle": m.ReceiptHandle})
			}
			payload, _ := json.Marshal(map[string]any{"QueueUrl": queueURL, "Entries": del})
			call(b, "DeleteMessageBatch", payload)
		}
	})
}
