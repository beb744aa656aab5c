package queue

import "time"

// ExponentialBackoff doubles the delay from base with each receive, up to
// limit: base on the first failure, 2×base on the second, and so on.
func ExponentialBackoff(base, limit time.Duration) func(receiveCount int) time.Duration {
	return func(n int) time.Duration {
		d := base
		for i := 1; i < n && d < limit; i++ {
			d *= 2
		}
		return min(d, limit)
	}
}

// ConstantBackoff returns every failed message after d (0: at once).
func ConstantBackoff(d time.Duration) func(int) time.Duration {
	return func(int) time.Duration { return d }
}

// maxVisibility is SQS's longest visibility timeout, 12 hours.
const maxVisibility = 12 * time.Hour

// visibilitySeconds rounds d up to whole seconds within SQS's range.
func visibilitySeconds(d time.Duration) int32 {
	d = min(max(d, 0), maxVisibility)
	return int32((d + time.Second - 1) / time.Second)
}
