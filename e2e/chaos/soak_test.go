package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sluice-mq/sluice/e2e/chaos/history"
	"github.com/sluice-mq/sluice/e2e/internal/sluiceproc"
	"github.com/sluice-mq/sluice/e2e/internal/soak"
	"github.com/sluice-mq/sluice/sdk/awshttp"
)

// SoakEnv sets how long TestSoak's load runs: a Go duration, 1m–24h
// (default 3m; `make soak` runs 30m).
const SoakEnv = "SLUICE_SOAK"

// The soak's bounds (package soak says how each is judged). Generous, for
// a shared 2-core machine: they catch a server whose memory or goroutines
// climb with the traffic it has served, or whose latency degrades for
// good, not one slowed for a while by a neighbour.
var (
	// soakPace: the standard producers pause 100 ms after a send call
	// (3.5 messages a call on average), the FIFO producer 300 ms: at most
	// ~80 messages a second in all however quiet the machine. Consumers
	// keep up with that; at the FIFO producer's 100 ms, its six groups,
	// each held for 1–3 s by every abandoned message, fell behind by ten
	// messages a second.
	soakPace       = producerPace{std: 100 * time.Millisecond, fifo: 300 * time.Millisecond}
	soakHeap       = soak.Growth{Factor: 1.25, Floor: 32 << 20}
	soakRSS        = soak.Growth{Factor: 1.25, Floor: 64 << 20}
	soakGoroutines = soak.Growth{Factor: 1.25, Floor: 50}
	// The backlog (messages stored): delays, abandoned messages and
	// dead-letter moves keep about a hundred stored.
	soakBacklog = soak.Growth{Factor: 1.25, Floor: 500}
	soakP99     = soak.Stability{Factor: 3, Floor: 250 * time.Millisecond}
)

const (
	// Goroutines the server may hold beyond those it had idle: a few per
	// client connection (the serving goroutine and the HTTP/1.1 reader;
	// a long poll adds its waiter) and its background work (tiering,
	// compaction, Pebble's flushes) at full tilt.
	goroutinesPerClient = 10
	goroutineSlack      = 100
	// soakMaxCallErrors is the share of calls that may fail or time out
	// (the 5 s client deadline on a loaded machine) with no fault injected.
	soakMaxCallErrors = 0.01
)

// TestSoak runs TestKillDev's mixed load — standard and FIFO producers
// (batches, delays), consumers abandoning one message in five,
// dead-letter moves, every queue tiered with a hot window of 0 — against
// one `sluice dev`, with no faults, for SLUICE_SOAK (3 minutes by default;
// 1 with -short). The producers are paced. Every window (a thirtieth of
// the run, at least 10 s) it logs the server's heap in use, resident set,
// goroutines, the queues' backlog and the data directory's size (sampled
// four times a window, the window's peak shown), and the calls invoked in
// the window with their p50 and p99 (sends and deletes; receives long-poll,
// so their time is not the server's). It fails when memory, goroutines or
// the backlog grow from the run's second third to its last beyond the
// bounds above, when goroutines pass a ceiling of the idle count plus a
// constant per client, when p99 rises for good, when more than 1 % of
// calls fail, and — after a drain — when the history checker finds
// anything lost, delivered twice inside its visibility, a phantom, out of
// FIFO order or delivered after a delete.
func TestSoak(t *testing.T) {
	run := soakDuration(t)
	window := max(10*time.Second, run/30)
	data := t.TempDir()
	p := sluiceproc.StartDev(t, "--data", data, "--tier-interval", "300ms")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("sluice dev's last log:\n%s", tailLines(p.Stderr(), 40))
		}
	})
	newClient := func() *sqs.Client {
		return sqs.New(sqs.Options{
			Region: p.Region, BaseEndpoint: aws.String(p.Endpoint),
			Credentials:      credentials.NewStaticCredentialsProvider(p.AccessKey, p.SecretKey, ""),
			RetryMaxAttempts: 1, HTTPClient: awshttp.NewClient(nil),
		})
	}
	urls := setupQueues(t, p, newClient())
	idle := sampleServer(t, p, data, 0)
	t.Logf("idle: heap in use %s, RSS %s, %d goroutines; load for %v, windows of %v",
		mib(idle.heapInuse), mib(idle.rss), int(idle.goroutines), run, window)

	rec := history.NewRecorder()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	load := startMixedLoad(ctx, ctx, newClient, rec, urls, 4, soakPace)
	samples := sampleFor(t, p, data, rec, run, window/4)
	stop()
	load.wait()
	end := samples[len(samples)-1]

	ops := rec.Ops()
	ws := soak.Windows(calls(ops), window, run)
	logWindows(t, samples, ws)
	var perQueue []string
	for _, q := range []string{stdQ, fifoQ, stdDLQ, fifoDLQ} {
		perQueue = append(perQueue, fmt.Sprintf("%s %d", q, queueStorage(t, p, q).Messages))
	}
	t.Logf("at the end of the load: backlog %d messages (%s), data directory %s, %d segment files", end.backlog,
		strings.Join(perQueue, ", "), mib(float64(end.diskBytes)), segmentFiles(data))

	judge := func(err error) {
		if err != nil {
			t.Error(err)
		}
	}
	heap := func(s serverSample) float64 { return s.heapInuse }
	rss := func(s serverSample) float64 { return s.rss }
	goroutines := func(s serverSample) float64 { return s.goroutines }
	backlog := func(s serverSample) float64 { return float64(s.backlog) }
	judge(soakHeap.Check("heap in use (bytes)", points(samples, heap), run))
	judge(soakRSS.Check("RSS (bytes)", points(samples, rss), run))
	judge(soakGoroutines.Check("goroutines", points(samples, goroutines), run))
	judge(soak.Ceiling("goroutines", points(samples, goroutines), run,
		idle.goroutines+goroutinesPerClient*mixedLoadClients+goroutineSlack))
	judge(soakBacklog.Check("backlog (messages)", points(samples, backlog), run))
	over, err := soakP99.Check(ws)
	judge(err)
	failed, total := callErrors(ops)
	t.Logf("%d of %d windows after the first third over the p99 bound; %d of %d calls failed or timed out",
		over, len(ws)-len(ws)/3, failed, total)
	if float64(failed) > soakMaxCallErrors*float64(total) {
		t.Errorf("%d of %d calls failed or timed out, over %.0f %%", failed, total, 100*soakMaxCallErrors)
	}

	// Every visibility timeout and delay has run out: drain everything.
	time.Sleep(maxVisibility + 500*time.Millisecond)
	drain(t, &worker{name: "drain", c: newClient(), rec: rec, rnd: rand.New(rand.NewPCG(7, 4))}, urls)
	ops = rec.Ops()
	if path := os.Getenv(HistoryEnv); path != "" {
		writeHistory(t, path, ops)
	}
	lazy := func(q string) bool { return !strings.HasSuffix(q, ".fifo") }
	r := history.Checker{Slack: history.DefaultSlack, LazyClaims: lazy}.Check(ops)
	counts := countLoad(ops)
	t.Logf("soak of %v: %s; %s", run, r.Summary(), counts)
	if counts.stdSent == 0 || counts.fifoSent == 0 || r.Deliveries == 0 {
		t.Errorf("the load did too little to judge")
	}
	reportAnomalies(t, r, ops)
}

func soakDuration(t *testing.T) time.Duration {
	run := 3 * time.Minute
	if s := os.Getenv(SoakEnv); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < time.Minute || d > 24*time.Hour {
			t.Fatalf("%s=%q: want a duration of 1m–24h", SoakEnv, s)
		}
		run = d
	}
	if testing.Short() {
		run = min(run, time.Minute)
	}
	return run
}

// sampleFor samples the server every interval until the history's clock
// reaches run, and once more then.
func sampleFor(t *testing.T, p *sluiceproc.Process, data string, rec *history.Recorder, run, interval time.Duration) []serverSample {
	t.Helper()
	var samples []serverSample
	for {
		next := time.Duration(len(samples)+1) * interval
		if next > run {
			next = run
		}
		time.Sleep(next - rec.Now())
		samples = append(samples, sampleServer(t, p, data, rec.Now()))
		if next == run {
			return samples
		}
	}
}

// calls are the history's sends and deletes (each a call of its own, its
// latency the server's): receives long-poll, so how long they take says
// more about the queue than about the server.
func calls(ops []history.Op) []soak.Call {
	var cs []soak.Call
	for _, op := range ops {
		if op.Kind == history.Send || op.Kind == history.Delete {
			cs = append(cs, soak.Call{At: op.Invoke, Took: op.Complete - op.Invoke})
		}
	}
	return cs
}

// callErrors counts the calls of the load that failed as a whole.
func callErrors(ops []history.Op) (failed, total int) {
	for _, op := range ops {
		if op.Kind == history.Fault {
			continue
		}
		total++
		if op.Err != "" {
			failed++
		}
	}
	return failed, total
}

// logWindows logs one line per window: the peaks of the samples taken in
// it and its calls.
func logWindows(t *testing.T, samples []serverSample, ws []soak.Window) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "%8s %10s %10s %10s %8s %10s %7s %8s %8s\n", "t", "heap MiB", "RSS MiB", "goroutines", "backlog", "disk MiB", "calls", "p50", "p99")
	for _, w := range ws {
		var peak serverSample
		for _, s := range samples {
			if s.at > w.Start && s.at <= w.End {
				peak.heapInuse, peak.rss = max(peak.heapInuse, s.heapInuse), max(peak.rss, s.rss)
				peak.goroutines, peak.backlog = max(peak.goroutines, s.goroutines), max(peak.backlog, s.backlog)
				peak.diskBytes = max(peak.diskBytes, s.diskBytes)
			}
		}
		fmt.Fprintf(&b, "%8v %10.1f %10.1f %10.0f %8d %10.1f %7d %8v %8v\n", w.End.Round(time.Second),
			peak.heapInuse/(1<<20), peak.rss/(1<<20), peak.goroutines, peak.backlog, float64(peak.diskBytes)/(1<<20),
			w.Calls, w.P50.Round(time.Millisecond), w.P99.Round(time.Millisecond))
	}
	t.Logf("per window (peaks of the samples in it; p50/p99 of sends and deletes invoked in it):\n%s", b.String())
}

func mib(bytes float64) string { return fmt.Sprintf("%.1f MiB", bytes/(1<<20)) }

func segmentFiles(data string) int {
	files, _ := filepath.Glob(filepath.Join(data, "blobs", "objects", "segments", "*", "*", "*"))
	return len(files)
}
