package queue

import (
	"context"
	"fmt"
	"runtime/debug"
)

// work runs handlers until stop is closed. ctx is the handlers' context:
// it outlives Run's until the drain deadline.
func (r *consumerRun) work(ctx context.Context, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case m := <-r.dispatch.work:
			if !r.dispatch.begin() {
				r.giveBack(m, 0)
				continue
			}
			r.handle(ctx, m)
		}
	}
}

// handle runs the handler on m and settles m by its outcome.
func (r *consumerRun) handle(ctx context.Context, m *inflight) {
	err := r.call(ctx, m.msg)
	if err == nil {
		r.ack(m)
	} else {
		r.giveBack(m, r.c.opts.Backoff(m.msg.ReceiveCount))
	}
	for _, next := range r.dispatch.done(m, err == nil) {
		r.giveBack(next, 0)
	}
}

// call runs the handler, turning a panic into an error.
func (r *consumerRun) call(ctx context.Context, m *Received) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("queue: handler panicked on message %s: %v\n%s", m.ID, p, debug.Stack())
		}
	}()
	return r.h(ctx, m)
}
