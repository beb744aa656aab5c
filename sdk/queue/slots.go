package queue

import (
	"context"
	"sync"
)

// slots bounds the messages a consumer holds, received and unsettled: a
// poller asks only for as many as it has slots for.
type slots struct {
	free chan struct{} // a token per slot in use
	// gather lets one poller at a time collect slots, so two pollers never
	// each hold part of a batch waiting for the rest.
	gather sync.Mutex
}

func newSlots(capacity int) *slots { return &slots{free: make(chan struct{}, capacity)} }

// take waits until it holds min(want, capacity) slots and returns how many
// (0 if ctx ended). Waiting for a whole batch, rather than asking for
// whatever is free, keeps a busy consumer's receives full: a receive costs
// the server about the same for 1 message as for 10.
func (s *slots) take(ctx context.Context, want int) int {
	want = min(want, cap(s.free))
	s.gather.Lock()
	defer s.gather.Unlock()
	for n := range want {
		select {
		case s.free <- struct{}{}:
		case <-ctx.Done():
			s.put(n)
			return 0
		}
	}
	return want
}

func (s *slots) put(n int) {
	for range n {
		<-s.free
	}
}
