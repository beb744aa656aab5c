// Command sluice-bench drives an SQS endpoint with the real aws-sdk-go-v2
// client and, with --null, first measures the same workload against an
// in-process null server: the bound no server on this machine can beat.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sluice-mq/sluice/e2e/bench/load"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "sluice-bench: %v\n", err)
		return 2
	}
	if opts.serveNull {
		return serveNull(ctx, opts.cfg, stdout, stderr)
	}
	rep := report{Workload: opts.cfg, Mode: opts.mode()}
	failed := false
	if opts.null {
		res, err := runNull(ctx, opts.cfg)
		rep.Null = &res
		failed = noteError(stderr, "null server", err) || failed
	}
	if opts.cfg.Endpoint != "" && ctx.Err() == nil {
		cpu := serverCPU{pid: opts.serverPID}
		failed = noteError(stderr, "server cpu", cpu.start()) || failed
		res, err := load.Run(ctx, opts.cfg)
		rep.Target = &res
		failed = noteError(stderr, opts.cfg.Endpoint, err) || failed
		rep.ServerCPU, err = cpu.stop()
		failed = noteError(stderr, "server cpu", err) || failed
	}
	rep.computeRatio()
	if opts.json {
		err = rep.writeJSON(stdout)
	} else {
		err = rep.writeTable(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "sluice-bench: write report: %v\n", err)
		return 1
	}
	if failed {
		return 1
	}
	return 0
}

// runNull runs cfg against a fresh in-process null server.
func runNull(ctx context.Context, cfg load.Config) (load.Result, error) {
	nullCfg, srv, err := load.StartNullServer(cfg)
	if err != nil {
		return load.Result{}, err
	}
	defer srv.Close()
	return load.Run(ctx, nullCfg)
}

// serveNull serves the null server until ctx ends, printing its endpoint
// first: measured as its own process, it is the floor a server's CPU per
// message is compared with (docs/architecture.md, section 6).
func serveNull(ctx context.Context, cfg load.Config, stdout, stderr io.Writer) int {
	nullCfg, srv, err := load.StartNullServer(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "sluice-bench: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, nullCfg.Endpoint)
	<-ctx.Done()
	if err := srv.Close(); err != nil {
		fmt.Fprintf(stderr, "sluice-bench: null server: %v\n", err)
		return 1
	}
	return 0
}

func noteError(stderr io.Writer, target string, err error) bool {
	if err == nil {
		return false
	}
	fmt.Fprintf(stderr, "sluice-bench: %s: %v\n", target, err)
	return true
}

// latencyDefaults are the --latency workload's: a trickle a consumer
// long-polling for 20s picks up the moment it lands.
const (
	latencyDefaultRate     = 25
	latencyDefaultDuration = 10 * time.Second
	latencyWaitSeconds     = 20
)
