package load

import (
	"fmt"
	"maps"
	"net/http"
	"strings"
	"sync"
)

// callCounter counts the HTTP requests a run sends, by SQS action (the
// JSON protocol's X-Amz-Target), retries included. Requests per delivered
// message tell how full a client's batches are, which throughput alone
// does not: an SDK that sends half-empty batches costs both sides more.
type callCounter struct {
	base http.RoundTripper

	mu     sync.Mutex
	counts map[string]int64
}

func (c *callCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	action := req.Header.Get("X-Amz-Target")
	if i := strings.LastIndexByte(action, '.'); i >= 0 {
		action = action[i+1:]
	}
	if action == "" {
		action = "other"
	}
	c.mu.Lock()
	c.counts[action]++
	c.mu.Unlock()
	return c.base.RoundTrip(req)
}

// countCalls returns a client sending through base's transport and
// counting each request into the returned counter.
func countCalls(base *http.Client) (*http.Client, *callCounter) {
	transport := base.Transport
	if transport == nil {
		transport = http.DefaultTransport
	}
	c := &callCounter{base: transport, counts: map[string]int64{}}
	counted := *base
	counted.Transport = c
	return &counted, c
}

func (c *callCounter) snapshot() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.counts)
}

// RequestsPer renders the message requests the run sent, by action, per n
// delivered messages: "send 1.00, receive 1.02, delete 1.00" per 10 says
// every batch was full.
func (r Result) RequestsPer(n float64) string {
	var parts []string
	for _, a := range []struct{ action, short string }{
		{"SendMessageBatch", "send batch"}, {"SendMessage", "send"},
		{"ReceiveMessage", "receive"},
		{"DeleteMessageBatch", "delete batch"}, {"DeleteMessage", "delete"},
		{"ChangeMessageVisibilityBatch", "visibility batch"},
	} {
		if c := r.Calls[a.action]; c > 0 {
			parts = append(parts, fmt.Sprintf("%s %.2f", a.short, float64(c)*n/float64(max(r.Delivered, 1))))
		}
	}
	return strings.Join(parts, ", ")
}
