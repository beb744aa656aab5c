package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sluice-mq/sluice/e2e/bench/load"
)

type options struct {
	cfg      load.Config
	null     bool
	json     bool
	latency  bool
	duration time.Duration
	// serverPID, when set, is the target server's process: its CPU time
	// over the target run is reported per delivered message.
	serverPID int
	// serveNull runs only the null server, until interrupted, so that its
	// own CPU can be measured by another sluice-bench (--server-pid).
	serveNull bool
}

func (o options) mode() string {
	if o.latency {
		return "latency"
	}
	return "throughput"
}

const usageHead = `Usage: sluice-bench [flags]

Drives an SQS endpoint (--endpoint) with producers and consumers over
aws-sdk-go-v2. --null first runs the same workload against an in-process
null server and prints the ratio target ÷ null.

Flags:
`

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	o := options{cfg: load.DefaultConfig()}
	c := &o.cfg
	fs := flag.NewFlagSet("sluice-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageHead)
		fs.PrintDefaults()
	}
	fs.StringVar(&c.Endpoint, "endpoint", "", "SQS endpoint to measure, e.g. http://127.0.0.1:9324")
	fs.StringVar(&c.Region, "region", c.Region, "signing region")
	fs.StringVar(&c.AccessKey, "access-key", envOr("SLUICE_BENCH_ACCESS_KEY", c.AccessKey), "access key id (env SLUICE_BENCH_ACCESS_KEY)")
	fs.StringVar(&c.SecretKey, "secret-key", envOr("SLUICE_BENCH_SECRET_KEY", c.SecretKey), "secret access key (env SLUICE_BENCH_SECRET_KEY, which keeps it out of ps)")
	fs.StringVar(&c.Queue, "queue", c.Queue, "queue name; created if missing")
	fs.IntVar(&c.Producers, "producers", c.Producers, "concurrent senders")
	fs.IntVar(&c.Consumers, "consumers", c.Consumers, "concurrent receivers")
	fs.IntVar(&c.Batch, "batch", c.Batch, "messages per send, receive and delete call, 1-10")
	fs.IntVar(&c.MessageSize, "size", c.MessageSize, fmt.Sprintf("message body bytes, at least %d", load.MinMessageSize))
	fs.IntVar(&c.Messages, "messages", c.Messages, "messages to send in all")
	fs.Float64Var(&c.Rate, "rate", c.Rate, "messages/s over all producers; 0 = unbounded")
	fs.IntVar(&c.Groups, "groups", 0, "FIFO mode: a .fifo queue with this many message groups, order checked per group (0 = standard queue)")
	fs.IntVar(&c.WaitTimeSeconds, "wait", c.WaitTimeSeconds, "receive long poll seconds, 0-20")
	fs.BoolVar(&c.Verify, "verify", c.Verify, "fail if an acknowledged message is never received")
	fs.DurationVar(&c.Timeout, "timeout", c.Timeout, "bound on each run; at it the run stops and reports what it got")
	fs.DurationVar(&c.DrainTimeout, "drain-timeout", 0, "stop once sends are done and nothing arrived for this long (0 = 2×wait+5s)")
	fs.BoolVar(&c.SDK, "sdk", false, "send and consume through sdk/queue's Producer and Consumer instead of raw batch calls")
	fs.BoolVar(&c.Purge, "purge", false, "purge the queue before sending")
	fs.BoolVar(&c.DeleteQueue, "delete-queue", false, "delete the queue after the run")
	fs.BoolVar(&o.null, "null", false, "first run the workload against an in-process null server")
	fs.BoolVar(&o.json, "json", false, "print the report as JSON")
	fs.BoolVar(&o.latency, "latency", false, fmt.Sprintf("latency workload: 1 producer, batch 1, --rate (default %d/s) for --duration, consumers long-polling %ds",
		latencyDefaultRate, latencyWaitSeconds))
	fs.DurationVar(&o.duration, "duration", latencyDefaultDuration, "how long the --latency workload sends")
	fs.IntVar(&o.serverPID, "server-pid", 0, "the target server's process id (same machine): report its CPU time per delivered message, from /proc")
	fs.BoolVar(&o.serveNull, "serve-null", false, "only serve the null server, printing its endpoint, until interrupted: another sluice-bench given that --endpoint, this --run-id and this process's --server-pid measures the null server's own CPU")
	runID := fs.Uint("run-id", 0, "tag the run's message bodies with this id (0: a random one); a --serve-null server and the run against it need the same")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *runID > 1<<32-1 {
		return o, fmt.Errorf("--run-id %d: want at most %d", *runID, uint32(1<<32-1))
	}
	c.RunID = uint32(*runID)
	if o.serveNull {
		if c.RunID == 0 {
			return o, errors.New("--serve-null needs a --run-id, for the run against it to give too")
		}
		return o, nil
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if o.latency {
		if err := o.applyLatencyMode(set); err != nil {
			return o, err
		}
	}
	if !o.null && c.Endpoint == "" {
		return o, errors.New("nothing to measure: give --endpoint, --null or both")
	}
	return o, nil
}

// applyLatencyMode turns the flags into the latency workload, refusing the
// ones that would change what it measures.
func (o *options) applyLatencyMode(set map[string]bool) error {
	for _, name := range []string{"producers", "batch", "messages"} {
		if set[name] {
			return fmt.Errorf("--%s does not apply to --latency, which uses 1 producer, batch 1 and --rate × --duration messages", name)
		}
	}
	c := &o.cfg
	if !set["rate"] {
		c.Rate = latencyDefaultRate
	}
	if c.Rate <= 0 || o.duration <= 0 {
		return errors.New("--latency needs a positive --rate and --duration")
	}
	c.Producers, c.Batch = 1, 1
	c.Messages = max(int(c.Rate*o.duration.Seconds()), 1)
	if !set["wait"] {
		c.WaitTimeSeconds = latencyWaitSeconds
	}
	if !set["consumers"] {
		c.Consumers = 2
	}
	if !set["timeout"] {
		// Room for the sends plus a drain; the run ends as soon as all
		// arrive, so this only matters to a server that loses messages.
		c.Timeout = o.duration + 30*time.Second
	}
	if !set["drain-timeout"] {
		c.DrainTimeout = 5 * time.Second
	}
	return nil
}
