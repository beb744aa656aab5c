package sqsapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/billing/meter"
	"github.com/sluice-mq/sluice/data-plane/admission"
	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/sqsapi"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
	"github.com/sluice-mq/sluice/internal/kv/local"
)

// BenchmarkHandler measures the server's cost per call, without a client
// or a network: requests straight into the handler, in each protocol,
// signatures trusted (sigv4 has its own benchmark). The store is the local
// one without fsync, so the figure is CPU, not the disk's latency; the
// client's own work (building a delete from a receive's reply) is left out
// of the time, the allocations and the CPU figure.
func BenchmarkHandler(b *testing.B) {
	for _, p := range []protocol{jsonProtocol, queryProtocol} {
		b.Run("protocol="+p.name, func(b *testing.B) {
			store, err := local.Open(b.TempDir(), local.Options{Sync: local.SyncNone})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = store.Close() })
			benchmarkProtocol(b, store, p)
		})
	}
}

// BenchmarkHandlerDurable is BenchmarkHandler's JSON half on the durable
// local store, fsyncs included.
func BenchmarkHandlerDurable(b *testing.B) { benchmarkHandler(b, kvtest.OpenLocal(b)) }

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
	benchmarkProtocol(b, store, jsonProtocol, with...)
}

// protocol builds a wire protocol's requests and reads its receive replies.
type protocol struct {
	name    string
	request func(queueURL, action string, params []param) *http.Request
	// handles returns the receipt handles of a ReceiveMessage reply.
	handles func(reply []byte) ([]string, error)
}

// param is one request member; Entries lists batch entries, each a list of
// members.
type param struct {
	name, value string
	entries     [][]param
}

const benchAuth = "AWS4-HMAC-SHA256 Credential=KEYA/20261121/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0"

var jsonProtocol = protocol{
	name: "json",
	request: func(queueURL, action string, params []param) *http.Request {
		doc := map[string]any{"QueueUrl": queueURL}
		for _, p := range params {
			if p.entries == nil {
				n, err := strconv.Atoi(p.value)
				if err != nil {
					doc[p.name] = p.value
				} else {
					doc[p.name] = n
				}
				continue
			}
			var entries []map[string]string
			for _, e := range p.entries {
				m := map[string]string{}
				for _, f := range e {
					m[f.name] = f.value
				}
				entries = append(entries, m)
			}
			doc[p.name] = entries
		}
		body, _ := json.Marshal(doc)
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("X-Amz-Target", "AmazonSQS."+action)
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		req.Header.Set("Authorization", benchAuth)
		return req
	},
	handles: func(reply []byte) ([]string, error) {
		var got struct {
			Messages []struct{ ReceiptHandle string }
		}
		err := json.Unmarshal(reply, &got)
		var hs []string
		for _, m := range got.Messages {
			hs = append(hs, m.ReceiptHandle)
		}
		return hs, err
	},
}

var queryProtocol = protocol{
	name: "query",
	request: func(queueURL, action string, params []param) *http.Request {
		form := url.Values{"Action": {action}, "Version": {"2012-11-05"}, "QueueUrl": {queueURL}}
		for _, p := range params {
			if p.entries == nil {
				form.Set(p.name, p.value)
				continue
			}
			for i, e := range p.entries {
				for _, f := range e {
					form.Set(fmt.Sprintf("%s.%d.%s", p.name, i+1, f.name), f.value)
				}
			}
		}
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", benchAuth)
		return req
	},
	handles: func(reply []byte) ([]string, error) {
		var got struct {
			Messages []struct{ ReceiptHandle string } `xml:"ReceiveMessageResult>Message"`
		}
		err := xml.Unmarshal(reply, &got)
		var hs []string
		for _, m := range got.Messages {
			hs = append(hs, m.ReceiptHandle)
		}
		return hs, err
	},
}

// serverCPU adds up the process's CPU time over the timed parts of a
// benchmark, which leave out the client's work.
type serverCPU struct {
	total, since time.Duration
}

func (c *serverCPU) start() { c.since = benchProcessCPU() }
func (c *serverCPU) stop()  { c.total += benchProcessCPU() - c.since }

func (c *serverCPU) report(b *testing.B, calls int) {
	if calls > 0 {
		b.ReportMetric(float64(c.total.Microseconds())/float64(calls), "cpu-µs/op")
	}
}

func benchProcessCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchmarkProtocol(b *testing.B, store kv.Store, p protocol, with ...func(*sqsapi.Options)) {
	// The engine as `sluice dev` builds it on its own store: no scan
	// margin for other nodes' late commits. With the default 250 ms every
	// ready scan stepped over the last 250 ms of consumed entries, which
	// made the scan look like a third of a receive's cost.
	h, e := newHandlerOn(b, store, engine.Options{ScanMargin: -1}, with...)
	if _, err := e.Catalog().Create(ctx, refA("bench"), nil, nil); err != nil {
		b.Fatal(err)
	}
	queueURL := "http://127.0.0.1/" + accountA + "/bench"
	body := strings.Repeat("x", 256)
	var sendEntries [][]param
	for i := range 10 {
		sendEntries = append(sendEntries, []param{{name: "Id", value: fmt.Sprint(i)}, {name: "MessageBody", value: body}})
	}
	sendBatch := []param{{name: "Entries", entries: sendEntries}}
	if p.name == "query" {
		sendBatch[0].name = "SendMessageBatchRequestEntry"
	}
	receive := []param{{name: "MaxNumberOfMessages", value: "10"}, {name: "WaitTimeSeconds", value: "0"}}
	// call sends one request with the timer stopped, and times (and adds
	// to cpu) only the handler's part.
	call := func(b *testing.B, action string, params []param, cpu *serverCPU) []byte {
		req := p.request(queueURL, action, params)
		rec := httptest.NewRecorder()
		if cpu != nil {
			b.StartTimer()
			cpu.start()
		}
		h.ServeHTTP(rec, req)
		if cpu != nil {
			cpu.stop()
			b.StopTimer()
		}
		if rec.Code != http.StatusOK {
			b.Fatalf("%s: %d %s", action, rec.Code, rec.Body)
		}
		return rec.Body.Bytes()
	}
	b.Run("SendMessageBatch10", func(b *testing.B) {
		var cpu serverCPU
		b.StopTimer()
		for range b.N {
			call(b, "SendMessageBatch", sendBatch, &cpu)
		}
		cpu.report(b, b.N)
	})
	b.Run("ReceiveDeleteBatch10", func(b *testing.B) {
		var cpu serverCPU
		b.StopTimer()
		for range b.N {
			// Untimed: every receive finds at least ten messages.
			call(b, "SendMessageBatch", sendBatch, nil)
			handles, err := p.handles(call(b, "ReceiveMessage", receive, &cpu))
			if err != nil || len(handles) == 0 {
				b.Fatalf("received nothing: %v", err)
			}
			var entries [][]param
			for i, rh := range handles {
				entries = append(entries, []param{{name: "Id", value: fmt.Sprint(i)}, {name: "ReceiptHandle", value: rh}})
			}
			del := []param{{name: "Entries", entries: entries}}
			if p.name == "query" {
				del[0].name = "DeleteMessageBatchRequestEntry"
			}
			call(b, "DeleteMessageBatch", del, &cpu)
		}
		cpu.report(b, b.N)
	})
}
