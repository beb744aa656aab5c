package kv

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// Backoff bounds for conflict retries: short at first because most
// conflicts clear within one commit, capped so a hot key does not stall a
// caller for long.
const (
	retryBaseDelay   = 500 * time.Microsecond
	retryMaxDelay    = 50 * time.Millisecond
	retryMaxAttempts = 100
)

// Retry calls attempt until it succeeds, returns an error that retryable
// rejects, or ctx ends. Between attempts it sleeps with capped exponential
// backoff and full jitter. When the attempts run out it returns an error
// wrapping ErrConflict and the last attempt's error. Drivers share it so
// every driver backs off the same way.
func Retry(ctx context.Context, retryable func(error) bool, attempt func() error) error {
	delay := retryBaseDelay
	var err error
	for n := 1; ; n++ {
		if err = attempt(); err == nil || !retryable(err) {
			return err
		}
		if n == retryMaxAttempts {
			return fmt.Errorf("%w: gave up after %d attempts: %w", ErrConflict, n, err)
		}
		sleep := time.Duration(rand.Int64N(int64(delay))) + time.Microsecond
		timer := time.NewTimer(sleep)
		select {
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("kv: retry stopped: %w (last error: %w)", ctx.Err(), err)
		case <-timer.C:
		}
		delay = min(2*delay, retryMaxDelay)
	}
}
