package queue

import (
	"context"
	"log/slog"
	"time"
)

// Middleware wraps a Handler with behaviour of its own.
type Middleware func(Handler) Handler

// Chain wraps h in mws; the first middleware is the outermost.
func Chain(h Handler, mws ...Middleware) Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}

// Logging logs each handled message on logger: at debug level when the
// handler succeeds, at warning level with the error when it fails.
func Logging(logger *slog.Logger) Middleware {
	return func(next Handler) Handler {
		return func(ctx context.Context, m *Received) error {
			began := time.Now()
			err := next(ctx, m)
			attrs := []slog.Attr{
				slog.String("message_id", m.ID),
				slog.Int("receive_count", m.ReceiveCount),
				slog.Duration("took", time.Since(began)),
			}
			if m.GroupID != "" {
				attrs = append(attrs, slog.String("group", m.GroupID))
			}
			if err != nil {
				logger.LogAttrs(ctx, slog.LevelWarn, "message handler failed", append(attrs, slog.Any("err", err))...)
			} else {
				logger.LogAttrs(ctx, slog.LevelDebug, "message handled", attrs...)
			}
			return err
		}
	}
}
