// Package bench_test runs the load generator against a real `sluice dev`.
// The generator and null server live in load and nullsqs; see README.md.
package bench_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awstransport "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/sluice-mq/sluice/e2e/bench/load"
	"github.com/sluice-mq/sluice/e2e/internal/sluiceproc"
	"github.com/sluice-mq/sluice/sdk/awshttp"
)

// devConfig is a small workload against the dev server's tenant, with the
// endpoint and credentials it printed.
func devConfig(p *sluiceproc.Process) load.Config {
	cfg := load.DefaultConfig()
	cfg.Endpoint, cfg.Region = p.Endpoint, p.Region
	cfg.AccessKey, cfg.SecretKey = p.AccessKey, p.SecretKey
	cfg.Producers, cfg.Consumers = 2, 2
	cfg.Messages = 2000
	cfg.Timeout = 60 * time.Second
	cfg.DeleteQueue = true
	return cfg
}

// requireSQS fails the test unless the server creates a queue over the SQS
// API. sluice dev serves it, so a 404 or an unknown-action answer is a
// routing regression, reported as such rather than as a bench failure.
func requireSQS(t *testing.T, cfg load.Config) {
	t.Helper()
	client := sqs.New(sqs.Options{
		Region:       cfg.Region,
		BaseEndpoint: aws.String(cfg.Endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(cfg.AccessKey, cfg.SecretKey, ""),
		HTTPClient:   awshttp.NewClient(nil),
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(cfg.Queue + "-probe")})
	if err == nil {
		return
	}
	var resp *awstransport.ResponseError
	if errors.As(err, &resp) && (resp.HTTPStatusCode() == 404 || resp.HTTPStatusCode() == 405) {
		t.Fatalf("sluice dev does not route the SQS API (CreateQueue: HTTP %d): %v", resp.HTTPStatusCode(), err)
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "UnknownOperationException", "UnsupportedOperation", "InvalidAction":
			t.Fatalf("sluice dev does not route CreateQueue: %v", err)
		}
	}
	t.Fatalf("sluice dev answers CreateQueue with an error, so the bench cannot run: %v", err)
}

// The bench against the real binary: every message arrives exactly once
// (the README's "0 messages missing, 0 duplicates, 0 errors"), and the
// figures are logged next to the null bound for the same workload.
// Throughput is not asserted: on a shared machine it says nothing about the
// build (compare ratios across builds on one machine instead).
func TestBenchAgainstSluiceDev(t *testing.T) {
	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	cfg := devConfig(p)
	requireSQS(t, cfg)

	ctx := context.Background()
	target, err := load.Run(ctx, cfg)
	if err != nil {
		t.Fatalf("bench against sluice dev: %v\n%+v", err, target)
	}
	// Standard queues may redeliver in general, but this run finishes well
	// inside the 30 s visibility timeout and deletes every message, so any
	// duplicate is a server bug.
	if target.Sent != int64(cfg.Messages) || target.Delivered != target.Sent || target.Missing != 0 || target.Duplicates != 0 ||
		target.Errors != 0 || target.SendFailed != 0 || target.CutAtDeadline {
		t.Fatalf("bench against sluice dev: want %d messages sent and each delivered once; got %d sent, %d delivered, %d missing, %d duplicates, %d errors, %d failed sends, cut at deadline %v\n%+v",
			cfg.Messages, target.Sent, target.Delivered, target.Missing, target.Duplicates, target.Errors, target.SendFailed, target.CutAtDeadline, target)
	}

	nullCfg, srv, err := load.StartNullServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	null, err := load.Run(ctx, nullCfg)
	if err != nil {
		t.Fatalf("bench against the null server: %v", err)
	}
	t.Logf("sluice dev %.0f msgs/s delivered (end-to-end p50 %v, p99 %v); null %.0f msgs/s; ratio %.2f; duplicates %d",
		target.DeliveredPerSec, target.EndToEnd.P50, target.EndToEnd.P99, null.DeliveredPerSec,
		target.DeliveredPerSec/null.DeliveredPerSec, target.Duplicates)
}

// FIFO mode against the real binary: every message arrives once, and no
// group is ever delivered out of order.
func TestFIFOBenchAgainstSluiceDev(t *testing.T) {
	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	for _, groups := range []int{4, 64} {
		cfg := devConfig(p)
		cfg.Queue = fmt.Sprint("bench-fifo-", groups)
		cfg.Groups = groups
		cfg.Consumers = 4
		res, err := load.Run(context.Background(), cfg)
		if err != nil {
			t.Fatalf("%d groups: %v\n%+v", groups, err, res)
		}
		if res.Missing != 0 || res.Duplicates != 0 || res.OrderViolations != 0 || res.MissingSequence != 0 || res.Errors != 0 || res.CutAtDeadline {
			t.Fatalf("%d groups: %+v", groups, res)
		}
		t.Logf("FIFO, %d groups: %.0f msgs/s delivered, 0 order violations, 0 duplicates", groups, res.DeliveredPerSec)
	}
}
