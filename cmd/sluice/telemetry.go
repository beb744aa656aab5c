package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/sluice-mq/sluice/data-plane/sqsotel"
	"github.com/sluice-mq/sluice/internal/buildinfo"
	"github.com/sluice-mq/sluice/internal/telemetry"
)

// telemetryFlags configure traces (the standard OTEL_* variables) and
// the Prometheus endpoint.
type telemetryFlags struct {
	// metricsAddr: "" serves /metrics on --listen, "off" nowhere, else
	// on a listener of its own.
	metricsAddr    string
	queueSeries    int
	queueSeriesOff string
}

func (t *telemetryFlags) registerTelemetry(fs *flag.FlagSet, defaultAddr string) {
	fs.StringVar(&t.metricsAddr, "metrics-addr", defaultAddr,
		"where to serve Prometheus metrics at /metrics: host:port for a listener of its own, empty for the --listen address, off for nowhere")
	fs.IntVar(&t.queueSeries, "metrics-queue-series", sqsotel.DefaultQueueSeries,
		"how many queues get metric series of their own on this node (the first served); the rest count as queue=\"_other\"; 0: none")
	fs.StringVar(&t.queueSeriesOff, "metrics-queue-series-off", "",
		"comma-separated account ids whose queues never get series of their own (counted as queue=\"_other\")")
}

// metricsOn reports whether the node serves /metrics.
func (t *telemetryFlags) metricsOn() bool { return t.metricsAddr != "off" }

// start builds the node's providers: traces when OTEL_* asks for them,
// metrics unless --metrics-addr=off.
func (t *telemetryFlags) start(ctx context.Context, env environment) (*telemetry.Telemetry, error) {
	tel, err := telemetry.New(ctx, telemetry.Options{Metrics: t.metricsOn(), ServiceVersion: buildinfo.Version(), Getenv: env.getenv})
	if err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	return tel, nil
}

// calls returns the SQS call telemetry of a data plane.
func (t *telemetryFlags) calls(tel *telemetry.Telemetry, dp *dataPlane) (*sqsotel.Calls, error) {
	series := t.queueSeries
	if series == 0 {
		series = -1
	}
	return sqsotel.New(sqsotel.Options{Telemetry: tel, Engine: dp.engine, QueueSeries: series, QueueSeriesOff: splitList(t.queueSeriesOff)})
}

// serveMetrics serves /metrics on a listener of its own until ctx ends;
// it returns the URL. With --metrics-addr empty the node's routes serve
// it instead (node.metrics).
func serveMetrics(ctx context.Context, addr string, h http.Handler, log *slog.Logger) (string, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("cannot listen on %s (check --metrics-addr): %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+metricsPath, h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	go func() {
		if err := srv.Serve(l); err != nil && err != http.ErrServerClosed {
			log.Error("metrics server", "error", err)
		}
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	return "http://" + l.Addr().String() + metricsPath, nil
}

// shutdownTelemetry flushes buffered spans, within a few seconds.
func shutdownTelemetry(tel *telemetry.Telemetry, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tel.Shutdown(ctx); err != nil {
		log.Warn("telemetry shutdown", "error", err)
	}
}

// metricsURL serves /metrics where --metrics-addr says and returns its
// URL ("off" when it is off): on the node's own listener at endpoint, or
// on a listener of its own.
func (t *telemetryFlags) metricsURL(ctx context.Context, n *node, endpoint string, tel *telemetry.Telemetry, log *slog.Logger) (string, error) {
	switch {
	case !t.metricsOn():
		return "off", nil
	case t.metricsAddr == "":
		n.metrics = tel.MetricsHandler()
		return endpoint + metricsPath, nil
	}
	return serveMetrics(ctx, t.metricsAddr, tel.MetricsHandler(), log)
}
