// Package load drives an SQS endpoint with producers and consumers over
// the real aws-sdk-go-v2 client and reports throughput, latency and
// delivery accounting (missing and duplicated messages).
package load

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Config describes one workload against one endpoint.
type Config struct {
	Endpoint  string // base URL, e.g. http://127.0.0.1:9324
	Region    string
	AccessKey string
	SecretKey string
	Queue     string // created if missing

	Producers   int
	Consumers   int
	Batch       int     // 1 uses SendMessage/DeleteMessage, 2–10 the batch calls
	MessageSize int     // body bytes, at least MinMessageSize
	Messages    int     // total to send
	Rate        float64 // messages/s over all producers; 0 = as fast as possible

	// Groups switches to a FIFO queue (the name gets .fifo) with this many
	// message groups: message n goes to group n mod Groups, with an
	// explicit deduplication id. Consumers check each group's order by the
	// SequenceNumber they receive. 0 means a standard queue.
	Groups int

	// SDK runs the same workload through sdk/queue: one Producer shared by
	// Producers goroutines, each keeping Batch sends outstanding, and one
	// Consumer with Consumers pollers and Consumers×Batch handlers that
	// acknowledge at once. Receive and delete call latencies are then not
	// measured (the Consumer makes those calls).
	SDK bool

	// WaitTimeSeconds is the receive long poll, 0–20; 0 is a short poll.
	WaitTimeSeconds int
	// Verify makes Run fail when a message acknowledged as sent was never
	// received. Duplicates are counted either way; SQS standard queues are
	// at-least-once, so they are reported, not failed.
	Verify bool

	// Timeout bounds the whole run; at the deadline everything stops and
	// Run reports what it measured so far.
	Timeout time.Duration
	// DrainTimeout ends the run once producers are done and no message has
	// arrived for this long, so a lossy server costs DrainTimeout, not
	// Timeout. Zero means 2×WaitTimeSeconds + 5s.
	DrainTimeout time.Duration

	// Purge empties the queue before sending; DeleteQueue removes it after.
	Purge       bool
	DeleteQueue bool

	// RunID tags every body so messages left in a reused queue by earlier
	// runs are recognised as foreign. Zero picks a random one.
	RunID uint32

	// HTTPClient, if set, is shared by all calls; otherwise Run builds one
	// with an idle connection per worker.
	HTTPClient *http.Client

	// maxRetryBackoff, if set, replaces the SDK's 20s cap so tests of
	// retries take milliseconds.
	maxRetryBackoff time.Duration
}

// DefaultConfig is a small throughput workload: change what matters.
func DefaultConfig() Config {
	return Config{
		Region:          "us-east-1",
		AccessKey:       "sluice-bench",
		SecretKey:       "sluice-bench",
		Queue:           "sluice-bench",
		Producers:       4,
		Consumers:       4,
		Batch:           10,
		MessageSize:     256,
		Messages:        10_000,
		WaitTimeSeconds: 1,
		Verify:          true,
		Timeout:         time.Minute,
	}
}

// maxSQSBody is SQS's largest message body.
const maxSQSBody = 1 << 20

// validate reports the first setting Run cannot work with.
func (c Config) validate() error {
	var problems []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			problems = append(problems, fmt.Errorf(format, args...))
		}
	}
	check(c.Endpoint != "", "Endpoint is required")
	check(c.Queue != "", "Queue is required")
	check(c.Region != "", "Region is required")
	check(c.Producers >= 1, "Producers must be at least 1, not %d", c.Producers)
	check(c.Consumers >= 1, "Consumers must be at least 1, not %d", c.Consumers)
	check(c.Batch >= 1 && c.Batch <= 10, "Batch must be 1 to 10, not %d", c.Batch)
	check(c.MessageSize >= MinMessageSize && c.MessageSize <= maxSQSBody,
		"MessageSize must be %d to %d bytes, not %d", MinMessageSize, maxSQSBody, c.MessageSize)
	check(c.Messages >= 1, "Messages must be at least 1, not %d", c.Messages)
	check(c.Rate >= 0, "Rate must not be negative")
	check(c.Groups >= 0, "Groups must not be negative")
	check(c.WaitTimeSeconds >= 0 && c.WaitTimeSeconds <= 20, "WaitTimeSeconds must be 0 to 20, not %d", c.WaitTimeSeconds)
	check(c.Timeout > 0, "Timeout is required: every run is bounded in time")
	check(c.DrainTimeout >= 0, "DrainTimeout must not be negative")
	return errors.Join(problems...)
}

func (c Config) drainTimeout() time.Duration {
	if c.DrainTimeout > 0 {
		return c.DrainTimeout
	}
	return 2*time.Duration(c.WaitTimeSeconds)*time.Second + 5*time.Second
}
