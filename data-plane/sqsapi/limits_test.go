package sqsapi_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/sqsapi"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

// serveSigned runs req through h as account A's, in-process.
func serveSigned(h http.Handler, req *http.Request) *http.Response {
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=KEYA/20261121/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func processCPU(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestQueryParameterCap: a SendMessageBatch of 20,000 parameters (10,000
// in the URL, 10,000 in the body) took seconds of CPU to decode before
// being refused for its entry count; now it is refused before any is
// parsed.
func TestQueryParameterCap(t *testing.T) {
	h, _ := newHandler(t, kvtest.OpenLocal(t))
	var query, form strings.Builder
	query.WriteString("/?Action=SendMessageBatch&Version=2012-11-05&QueueUrl=/" + accountA + "/q")
	for i := 1; i <= 10000; i++ {
		if i <= 9997 { // Go's url package parses at most 10,000
			fmt.Fprintf(&query, "&SendMessageBatchRequestEntry.%d.Id=e%d", i, i)
		}
		if i > 1 {
			form.WriteByte('&')
		}
		fmt.Fprintf(&form, "SendMessageBatchRequestEntry.%d.MessageBody=x", i)
	}
	// The least of a few runs, so that a collector cycle or another
	// goroutine's work does not count.
	least := time.Hour
	for range 3 {
		req := httptest.NewRequest(http.MethodPost, query.String(), strings.NewReader(form.String()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		before := processCPU(t)
		resp := serveSigned(h, req)
		least = min(least, processCPU(t)-before)
		var e xmlError
		readXML(t, resp, http.StatusBadRequest, &e)
		if e.Error.Code != "InvalidQueryParameter" || e.Error.Type != "Sender" || !strings.Contains(e.Error.Message, "at most 1000") {
			t.Fatalf("error = %+v, want InvalidQueryParameter", e.Error)
		}
	}
	if least > 50*time.Millisecond {
		t.Fatalf("refusing took %v of CPU, want under 50ms", least)
	}
}

// TestLargestLegalQueryRequest: the biggest request SQS allows, which the
// parameter cap is derived from, goes through.
func TestLargestLegalQueryRequest(t *testing.T) {
	h, e := newHandler(t, kvtest.OpenLocal(t))
	if _, err := e.Catalog().Create(ctx, refA("big.fifo"), map[string]string{"FifoQueue": "true"}, nil); err != nil {
		t.Fatal(err)
	}
	params := action("SendMessageBatch", "QueueUrl", "/"+accountA+"/big.fifo")
	for i := 1; i <= 10; i++ {
		entry := fmt.Sprintf("SendMessageBatchRequestEntry.%d.", i)
		params.Set(entry+"Id", fmt.Sprint("e", i))
		params.Set(entry+"MessageBody", "body")
		params.Set(entry+"DelaySeconds", "0")
		params.Set(entry+"MessageGroupId", "g")
		params.Set(entry+"MessageDeduplicationId", fmt.Sprint("d", i))
		for j := 1; j <= 10; j++ {
			attr := fmt.Sprintf("%sMessageAttribute.%d.", entry, j)
			params.Set(attr+"Name", fmt.Sprint("a", j))
			params.Set(attr+"Value.DataType", "String")
			params.Set(attr+"Value.StringValue", "v")
		}
		params.Set(entry+"MessageSystemAttribute.1.Name", "AWSTraceHeader")
		params.Set(entry+"MessageSystemAttribute.1.Value.DataType", "String")
		params.Set(entry+"MessageSystemAttribute.1.Value.StringValue", "Root=1-5759e988-bd862e3fe1be46a994272793")
	}
	// A presigned request's signature parameters ride in the URL.
	presign := url.Values{}
	for _, p := range []string{"Algorithm", "Credential", "Date", "Expires", "SignedHeaders", "Signature", "Security-Token"} {
		presign.Set("X-Amz-"+p, "x")
	}
	if n := len(params) + len(presign); n != 390 {
		t.Fatalf("the largest legal request has %d parameters here, want 390", n)
	}
	req := httptest.NewRequest(http.MethodPost, "/?"+presign.Encode(), strings.NewReader(params.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var r xmlReply
	readXML(t, serveSigned(h, req), http.StatusOK, &r)
	if len(r.Result.SendEntries) != 10 || len(r.Result.Failed) != 0 {
		t.Fatalf("SendMessageBatch = %+v", r.Result)
	}
}

// readRecorder is a request body that notes whether it was read.
type readRecorder struct {
	io.Reader
	read bool
}

func (r *readRecorder) Read(p []byte) (int, error) {
	r.read = true
	return r.Reader.Read(p)
}

// TestRequestEntityTooLarge covers both ways a body can be too large: a
// Content-Length over the limit, refused without reading the body, and a
// body of unknown length (chunked) that turns out longer than the limit.
func TestRequestEntityTooLarge(t *testing.T) {
	const limit = 1024
	h, _ := newHandler(t, kvtest.OpenLocal(t), func(o *sqsapi.Options) { o.MaxBodyBytes = limit })
	protocols := []struct {
		name string
		new  func(body io.Reader) *http.Request
		// fill pads a valid ListQueues request to n bytes.
		fill func(n int) string
		code func(t *testing.T, resp *http.Response) string
	}{
		{
			name: "json",
			new: func(body io.Reader) *http.Request {
				req := httptest.NewRequest(http.MethodPost, "/", body)
				req.Header.Set("X-Amz-Target", "AmazonSQS.ListQueues")
				req.Header.Set("Content-Type", "application/x-amz-json-1.0")
				return req
			},
			fill: func(n int) string { return "{}" + strings.Repeat(" ", n-2) },
			code: func(t *testing.T, resp *http.Response) string {
				var e struct {
					Type string `json:"__type"`
				}
				if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
					t.Fatal(err)
				}
				_, code, _ := strings.Cut(e.Type, "#")
				return code
			},
		},
		{
			name: "query",
			new: func(body io.Reader) *http.Request {
				req := httptest.NewRequest(http.MethodPost, "/", body)
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				return req
			},
			fill: func(n int) string {
				base := "Action=ListQueues&Version=2012-11-05&QueueNamePrefix="
				return base + strings.Repeat("x", n-len(base))
			},
			code: func(t *testing.T, resp *http.Response) string {
				var e xmlError
				readXML(t, resp, resp.StatusCode, &e)
				return e.Error.Code
			},
		},
	}
	for _, p := range protocols {
		t.Run(p.name+"/content length", func(t *testing.T) {
			body := &readRecorder{Reader: strings.NewReader(p.fill(limit + 1))}
			req := p.new(body)
			req.ContentLength = limit + 1
			resp := serveSigned(h, req)
			if resp.StatusCode != http.StatusRequestEntityTooLarge || p.code(t, resp) != "RequestEntityTooLarge" {
				t.Fatalf("status %d, want 413 RequestEntityTooLarge", resp.StatusCode)
			}
			if body.read {
				t.Fatal("the body was read although its Content-Length was over the limit")
			}
		})
		t.Run(p.name+"/chunked", func(t *testing.T) {
			req := p.new(strings.NewReader(p.fill(limit + 1)))
			req.ContentLength = -1 // unknown, as for a chunked body
			resp := serveSigned(h, req)
			if resp.StatusCode != http.StatusRequestEntityTooLarge || p.code(t, resp) != "RequestEntityTooLarge" {
				t.Fatalf("status %d, want 413 RequestEntityTooLarge", resp.StatusCode)
			}
		})
		t.Run(p.name+"/at the limit", func(t *testing.T) {
			for _, length := range []int64{limit, -1} {
				req := p.new(strings.NewReader(p.fill(limit)))
				req.ContentLength = length
				if resp := serveSigned(h, req); resp.StatusCode != http.StatusOK {
					b, _ := io.ReadAll(resp.Body)
					t.Fatalf("Content-Length %d: status %d, want 200: %s", length, resp.StatusCode, b)
				}
			}
		})
	}
}

// TestJSONBatchCountedBeforeDecoding: a JSON batch of 4 MiB of "{}"
// entries decoded 1.4 million entries (2.2 s of CPU, 529 MB) before being
// refused; now its entries are counted first and none is decoded.
func TestJSONBatchCountedBeforeDecoding(t *testing.T) {
	h, _ := newHandler(t, kvtest.OpenLocal(t))
	for _, tc := range []struct{ action, key string }{
		{"SendMessageBatch", "Entries"},
		{"DeleteMessageBatch", "entries"},                // keys match ignoring case,
		{"ChangeMessageVisibilityBatch", `\u0045ntries`}, // escapes decoded, as encoding/json does
	} {
		t.Run(tc.action, func(t *testing.T) {
			var body strings.Builder
			body.WriteString(`{"QueueUrl":"/` + accountA + `/q","` + tc.key + `":[{}`)
			n := 1
			for ; body.Len() < 4<<20-16; n++ {
				body.WriteString(",{}")
			}
			body.WriteString("]}")
			req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body.String()))
			req.Header.Set("X-Amz-Target", "AmazonSQS."+tc.action)
			req.Header.Set("Content-Type", "application/x-amz-json-1.0")
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			resp := serveSigned(h, req)
			runtime.ReadMemStats(&after)
			var e struct {
				Type    string `json:"__type"`
				Message string `json:"message"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || resp.StatusCode != 400 ||
				e.Type != "com.amazonaws.sqs#TooManyEntriesInBatchRequest" || !strings.HasSuffix(e.Message, fmt.Sprintf("You have sent %d.", n)) {
				t.Fatalf("status %d, %+v (%v), want TooManyEntriesInBatchRequest for %d entries", resp.StatusCode, e, err, n)
			}
			// Reading the body takes about twice its size; decoding the
			// entries took over 500 MB.
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
				t.Fatalf("refusing allocated %d MB", alloc>>20)
			}
		})
	}
}
