package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/sluice-mq/sluice/e2e/bench/nullsqs"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// A second null server stands in for the target. Its canned bodies are
// not the bench's, so only send rates compare; delivery is not verified.
func startTarget(t *testing.T) string {
	t.Helper()
	srv, err := nullsqs.Start(nullsqs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv.Endpoint
}

var smallWorkload = []string{"--messages", "500", "--producers", "2", "--consumers", "2", "--verify=false", "--drain-timeout", "200ms", "--wait", "0"}

func TestTablePrintsNullTargetAndRatio(t *testing.T) {
	args := append([]string{"--null", "--endpoint", startTarget(t)}, smallWorkload...)
	code, out, errs := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{"null", "target", "target ÷ null", "sent msgs/s", "end-to-end p50 / p99"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestJSONCarriesBothRunsAndTheRatio(t *testing.T) {
	args := append([]string{"--null", "--json", "--endpoint", startTarget(t), "--secret-key", "hush-7f3a"}, smallWorkload...)
	code, out, errs := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	var rep struct {
		Workload struct{ Messages int }
		Null     struct{ Sent int64 }
		Target   struct{ Sent int64 }
		Ratio    struct {
			Sent float64 `json:"sent_per_sec"`
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if rep.Workload.Messages != 500 || rep.Null.Sent != 500 || rep.Target.Sent != 500 || rep.Ratio.Sent <= 0 {
		t.Fatalf("report %+v from\n%s", rep, out)
	}
	if strings.Contains(out, "hush-7f3a") {
		t.Fatalf("report leaks the secret key:\n%s", out)
	}
}

func TestLatencyModeShapesTheWorkload(t *testing.T) {
	o, err := parseFlags([]string{"--latency", "--null", "--duration", "4s"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	c := o.cfg
	if c.Producers != 1 || c.Batch != 1 || c.Rate != 25 || c.Messages != 100 || c.WaitTimeSeconds != 20 {
		t.Fatalf("latency workload: %+v", c)
	}
	if _, err := parseFlags([]string{"--latency", "--null", "--batch", "10"}, &bytes.Buffer{}); err == nil {
		t.Fatal("--latency accepted --batch 10")
	}
}

func TestNothingToMeasureIsAUsageError(t *testing.T) {
	if code, _, errs := runCLI(t); code != 2 || !strings.Contains(errs, "--endpoint") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
}

// TestServeNullServesAVerifiableRun: a null server of its own (--serve-null)
// given the run's --run-id hands out bodies the run recognises, so a run
// against it delivers and verifies every message, and its process's CPU
// can be read apart from the client's.
func TestServeNullServesAVerifiableRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out, w := io.Pipe()
	served := make(chan int, 1)
	go func() {
		var stderr bytes.Buffer
		code := run(ctx, []string{"--serve-null", "--run-id", "7"}, w, &stderr)
		if code != 0 {
			t.Errorf("--serve-null: exit %d: %s", code, stderr.String())
		}
		served <- code
		_ = w.Close()
	}()
	endpoint, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("--serve-null printed no endpoint: %v", err)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	args := []string{"--endpoint", strings.TrimSpace(endpoint), "--run-id", "7", "--json", "--messages", "300", "--producers", "2", "--consumers", "2", "--drain-timeout", "2s", "--wait", "0"}
	code, stdout, errs := runCLI(t, args...)
	cancel()
	<-served
	if code != 0 {
		t.Fatalf("run against --serve-null: exit %d\n%s\n%s", code, stdout, errs)
	}
	var rep struct {
		Target struct{ Sent, Delivered, Missing int64 }
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if rep.Target.Sent != 300 || rep.Target.Delivered != 300 || rep.Target.Missing != 0 {
		t.Fatalf("sent %d, delivered %d, missing %d; want 300, 300, 0\n%s", rep.Target.Sent, rep.Target.Delivered, rep.Target.Missing, stdout)
	}
}

func TestServeNullNeedsARunID(t *testing.T) {
	code, _, errs := runCLI(t, "--serve-null")
	if code != 2 || !strings.Contains(errs, "--run-id") {
		t.Fatalf("--serve-null without --run-id: exit %d, %q; want 2 and a word on --run-id", code, errs)
	}
}
