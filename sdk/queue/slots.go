package queue

import "context"

// slots bounds the messages a consumer holds, received and unsettled: a
// poller asks only for as many as it has slots for.
type slots chan struct{}

// take waits for one slot, then takes up to max-1 more that are free, and
// returns how many it took (0 if ctx ended).
func (s slots) take(ctx context.Context, max int) int {
	select {
	case s <- struct{}{}:
	case <-ctx.Done():
		return 0
	}
	n := 1
	for n < max {
		select {
		case s <- struct{}{}:
			n++
		default:
			return n
		}
	}
	return n
}

func (s slots) put(n int) {
	for range n {
		<-s
	}
}
