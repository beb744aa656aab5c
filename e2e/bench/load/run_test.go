package load

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/e2e/bench/nullsqs"
)

func nullConfig(t *testing.T, cfg Config) Config {
	t.Helper()
	cfg, srv, err := StartNullServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return cfg
}

func smallConfig() Config {
	cfg := DefaultConfig()
	cfg.Producers, cfg.Consumers = 2, 2
	cfg.Messages = 2000
	cfg.Timeout = 15 * time.Second
	return cfg
}

func TestRunAgainstNullServerDeliversEverything(t *testing.T) {
	for _, batch := range []int{1, 10} {
		cfg := smallConfig()
		cfg.Batch = batch
		if batch == 1 {
			cfg.Messages = 500
		}
		res, err := Run(context.Background(), nullConfig(t, cfg))
		if err != nil {
			t.Fatalf("batch %d: %v", batch, err)
		}
		if res.Sent != int64(cfg.Messages) || res.Delivered != res.Sent || res.Missing != 0 || res.Duplicates != 0 {
			t.Fatalf("batch %d: %+v", batch, res)
		}
		if res.Errors != 0 || res.SendFailed != 0 || res.CutAtDeadline || res.Drained || res.LeftInQueue != 0 {
			t.Fatalf("batch %d: a clean run reported trouble: %+v", batch, res)
		}
		if res.SentPerSec <= 0 || res.DeliveredPerSec <= 0 || res.EndToEnd.Count != cfg.Messages ||
			res.SendCall.Count == 0 || res.SendCall.P99 < res.SendCall.P50 {
			t.Fatalf("batch %d: implausible measurements: %+v", batch, res)
		}
	}
}

// A run that cannot finish in time stops at its deadline and reports
// what it got, without an error: being cut is a result.
func TestRunIsCutAtItsDeadline(t *testing.T) {
	cfg := smallConfig()
	cfg.Rate = 200 // 2000 messages would take 10s
	cfg.Timeout = 700 * time.Millisecond
	cfg.WaitTimeSeconds = 20
	began := time.Now()
	res, err := Run(context.Background(), nullConfig(t, cfg))
	if err != nil {
		t.Fatalf("cut run: %v", err)
	}
	if took := time.Since(began); took > 3*time.Second {
		t.Fatalf("run took %v past its 700ms deadline", took)
	}
	if !res.CutAtDeadline || res.Sent == 0 || res.Sent >= int64(cfg.Messages) || res.Delivered == 0 {
		t.Fatalf("cut run: %+v", res)
	}
	if res.Errors != 0 || res.SendFailed != 0 {
		t.Fatalf("the deadline was counted as errors: %+v", res)
	}
}

// A server that loses a message: Verify names it missing, after the drain
// timeout rather than the run's.
func TestVerifyReportsALostMessage(t *testing.T) {
	cfg := smallConfig()
	cfg.Messages = 100
	cfg.RunID = NewRunID()
	cfg.WaitTimeSeconds = 0
	cfg.DrainTimeout = 300 * time.Millisecond
	bodies := newBodyWriter(cfg.RunID, cfg.MessageSize)
	// Hands out ids 1..100: id 0 is lost, id 100 is not ours.
	srv, err := nullsqs.Start(nullsqs.Options{Bodies: func(n int64) string { return bodies.body(uint64(n+1), time.Now()) }})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cfg.Endpoint = srv.Endpoint

	res, err := Run(context.Background(), cfg)
	if !errors.Is(err, ErrMissing) {
		t.Fatalf("Run: %v, want ErrMissing", err)
	}
	if res.Missing != 1 || res.Foreign != 1 || res.Delivered != 99 || !res.Drained || res.CutAtDeadline {
		t.Fatalf("lossy run: %+v", res)
	}
}

func TestConfigIsValidated(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Endpoint = "http://127.0.0.1:1"
	cfg.Batch = 11
	cfg.MessageSize = 8
	_, err := Run(context.Background(), cfg)
	if err == nil {
		t.Fatal("Run accepted batch 11 and 8-byte messages")
	}
	for _, want := range []string{"Batch", "MessageSize"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

// SDK mode with --wait 0 short-polls through queue.ShortPoll (it used to be
// refused, since WaitTime 0 meant the Consumer's 20 s default).
func TestSDKModeShortPolls(t *testing.T) {
	cfg := smallConfig()
	cfg.SDK = true
	cfg.WaitTimeSeconds = 0
	cfg.Messages = 500
	res, err := Run(context.Background(), nullConfig(t, cfg))
	if err != nil {
		t.Fatal(err)
	}
	if res.Delivered != int64(cfg.Messages) || res.Missing != 0 || res.Errors != 0 {
		t.Fatalf("SDK short poll: %+v", res)
	}
}
