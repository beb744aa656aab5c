package client

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// RetryPolicy says how a call answered 429 Too Many Requests or 503
// Service Unavailable is retried. No other answer, and no transport error,
// is retried: those may have changed something on the server, while a 429
// or 503 from Sluice means the request was refused before it acted.
type RetryPolicy struct {
	// MaxAttempts counts the first attempt; 1 disables retries.
	MaxAttempts int
	// BaseDelay is the backoff before the first retry; it doubles each
	// retry up to MaxDelay, and each wait is drawn at random from [0,
	// backoff] (full jitter) so throttled clients spread out.
	BaseDelay time.Duration
	MaxDelay  time.Duration
}

// DefaultRetryPolicy is the policy of a Client made without
// WithRetryPolicy: four attempts over at most about 1.4 s of backoff. (A
// function, not a variable, so no program can change every client's.)
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 4, BaseDelay: 200 * time.Millisecond, MaxDelay: 5 * time.Second}
}

// WithRetryPolicy replaces DefaultRetryPolicy.
func WithRetryPolicy(p RetryPolicy) Option {
	return func(c *Client) error {
		if p.MaxAttempts < 1 {
			return errors.New("retry policy: MaxAttempts must be at least 1")
		}
		if p.BaseDelay < 0 || p.MaxDelay < p.BaseDelay {
			return errors.New("retry policy: delays must satisfy 0 <= BaseDelay <= MaxDelay")
		}
		c.retry = p
		return nil
	}
}

// retryable reports whether an answer with this status may be retried.
func retryable(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable
}

// delay is the wait before retry number n (1 for the first retry): full
// jitter over the capped exponential backoff, but at least the server's
// Retry-After. ok is false when Retry-After asks for longer than MaxDelay,
// so the caller gets the error now rather than being held.
func (p RetryPolicy) delay(n int, retryAfter time.Duration) (d time.Duration, ok bool) {
	if retryAfter > p.MaxDelay {
		return 0, false
	}
	backoff := p.BaseDelay
	for i := 1; i < n && backoff < p.MaxDelay; i++ {
		backoff *= 2
	}
	backoff = min(backoff, p.MaxDelay)
	if backoff > 0 {
		d = rand.N(backoff + 1)
	}
	return max(d, retryAfter), true
}

// parseRetryAfter reads a Retry-After header, in seconds or as an HTTP
// date; 0 when absent or unreadable.
func parseRetryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	if secs, err := strconv.Atoi(h); err == nil {
		return max(time.Duration(secs)*time.Second, 0)
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
