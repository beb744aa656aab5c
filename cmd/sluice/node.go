package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sluice-mq/sluice/console"
	"github.com/sluice-mq/sluice/control-plane/restapi"
	"github.com/sluice-mq/sluice/internal/blob"
	"github.com/sluice-mq/sluice/internal/buildinfo"
	"github.com/sluice-mq/sluice/internal/health"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/telemetry"
)

// metricsPath serves the Prometheus metrics.
const metricsPath = "/metrics"

// healthProbeKey is read, never written, to prove the store answers.
var healthProbeKey = []byte("H/probe")

// node is one running Sluice process and the stores it opened. The planes
// hang their routes onto it as they arrive.
type node struct {
	kv    kv.Store
	blobs blob.Store // nil for roles that need no blob store
	log   *slog.Logger
	// sqs serves the SQS API on every path the other routes leave; nil
	// for roles without the data plane.
	sqs http.Handler
	// control serves the control plane's /v1 routes; nil for roles
	// without it.
	control *restapi.API
	// telemetry traces the control plane's routes; metrics, when set, is
	// served at /metrics on this listener (--metrics-addr empty).
	telemetry *telemetry.Telemetry
	metrics   http.Handler
	// console serves the web console at /console; nil for roles without
	// the control plane.
	console *console.Console
}

func (n *node) routes() *echo.Echo {
	e := newEcho()
	checks := []health.Check{{Name: "kv", Probe: n.probeKV}}
	if n.blobs != nil {
		checks = append(checks, health.Check{Name: "blobs", Probe: n.probeBlobs})
	}
	e.GET(health.Path, health.Handler(buildinfo.Version(), checks...))
	if n.metrics != nil {
		e.GET(metricsPath, echo.WrapHandler(n.metrics))
	}
	e.Use(telemetry.EchoMiddleware(n.telemetry, func(route string) bool {
		// The SQS API traces its own calls.
		return route == "/" || route == "/*" || route == health.Path || route == metricsPath
	}))
	if n.control != nil {
		n.control.Register(e)
	}
	if n.console != nil {
		n.console.Register(e)
	}
	if n.sqs != nil {
		// SQS clients post to "/" or to a queue URL, /{account}/{name}.
		e.Any("/", echo.WrapHandler(n.sqs))
		e.Any("/*", echo.WrapHandler(n.sqs))
	}
	return e
}

func (n *node) probeKV(ctx context.Context) error {
	return n.kv.View(ctx, func(r kv.Reader) error {
		_, err := r.Get(ctx, healthProbeKey)
		if errors.Is(err, kv.ErrNotFound) {
			return nil
		}
		return err
	})
}

func (n *node) probeBlobs(ctx context.Context) error {
	_, err := n.blobs.List(ctx, blob.ListOptions{Prefix: "health/", Limit: 1})
	return err
}

func closeLogged(log *slog.Logger, what string, close func() error) {
	if err := close(); err != nil {
		log.Error("close failed", "what", what, "error", err)
	}
}

// tenantReapInterval is how often deleted tenants' data is looked for.
const tenantReapInterval = 5 * time.Second
