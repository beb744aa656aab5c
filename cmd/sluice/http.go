package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sluice-mq/sluice/internal/httpserve"
)

// shutdownGrace is how long in-flight requests get to finish on shutdown.
const shutdownGrace = 10 * time.Second

// listen binds addr, naming the --listen setting when it cannot.
func listen(addr string) (net.Listener, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s (check --listen): %w", addr, err)
	}
	return l, nil
}

// longestPoll is SQS's longest ReceiveMessage wait (WaitTimeSeconds=20).
const longestPoll = 20 * time.Second

// serveHTTP serves e on l with cfg's timeouts and connection cap until ctx
// ends, then shuts down gracefully.
func serveHTTP(ctx context.Context, l net.Listener, e *echo.Echo, cfg httpserve.Config, log *slog.Logger) error {
	if cfg.WriteTimeout <= longestPoll {
		log.Warn("--http-write-timeout is too short for the longest long poll: such ReceiveMessage calls will be cut off",
			"http-write-timeout", cfg.WriteTimeout.String(), "longest-poll", longestPoll.String())
	}
	srv := httpserve.NewServer(e, cfg, slog.NewLogLogger(log.Handler(), slog.LevelWarn))
	served := make(chan error, 1)
	go func() {
		served <- srv.Serve(httpserve.LimitListener(httpserve.QuickAckListener(l), cfg.MaxConnsPerAddr, log))
	}()
	select {
	case err := <-served:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("http shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server: %w", err)
	}
	return nil
}

// newEcho returns an echo instance without its banner and default logging:
// Sluice logs through slog.
func newEcho() *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	return e
}
