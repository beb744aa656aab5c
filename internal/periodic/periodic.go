// Package periodic runs background work on a ticker.
package periodic

import (
	"context"
	"log/slog"
	"time"
)

// Run calls fn every interval until ctx ends. A failure is logged as a
// warning naming what, unless it came from ctx ending; the next tick
// tries again.
func Run(ctx context.Context, interval time.Duration, log *slog.Logger, what string, fn func(context.Context) error) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		call(ctx, log, what, fn)
	}
}

// RunNow is Run with a first call at once.
func RunNow(ctx context.Context, interval time.Duration, log *slog.Logger, what string, fn func(context.Context) error) {
	call(ctx, log, what, fn)
	Run(ctx, interval, log, what, fn)
}

func call(ctx context.Context, log *slog.Logger, what string, fn func(context.Context) error) {
	if err := fn(ctx); err != nil && ctx.Err() == nil {
		log.Warn("background work failed", "work", what, "error", err)
	}
}
