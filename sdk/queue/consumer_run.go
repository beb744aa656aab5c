package queue

import (
	"context"
	"sync"
	"time"
)

// consumerRun is the state of one Consumer.Run.
type consumerRun struct {
	c  *Consumer
	h  Handler
	wg struct{ pollers, workers sync.WaitGroup }

	slots      *slots
	tracker    *tracker
	dispatch   *dispatcher
	deletes    *settler
	visibility *settler

	handlerCtx    context.Context
	cancelHandler context.CancelFunc
	cancelPolls   context.CancelFunc
	stopWorkers   chan struct{}
	stopHeartbeat chan struct{}
	heartbeatDone chan struct{}
}

func newConsumerRun(c *Consumer, h Handler) *consumerRun {
	capacity := c.opts.Concurrency + c.opts.Prefetch
	r := &consumerRun{
		c:             c,
		h:             h,
		slots:         newSlots(capacity),
		tracker:       newTracker(),
		dispatch:      newDispatcher(c.fifo, capacity),
		stopWorkers:   make(chan struct{}),
		stopHeartbeat: make(chan struct{}),
		heartbeatDone: make(chan struct{}),
	}
	r.deletes = newSettler(c.opts.AckLinger, c.opts.MaxSettleRequests, r.deleteBatch)
	r.visibility = newSettler(c.opts.AckLinger, c.opts.MaxSettleRequests, func(ops []settleOp) { r.changeVisibility(ops) })
	return r
}

func (r *consumerRun) start(ctx context.Context) {
	// Handlers keep ctx's values but not its end: they may finish during
	// the drain.
	r.handlerCtx, r.cancelHandler = context.WithCancel(context.WithoutCancel(ctx))
	go func() {
		defer close(r.heartbeatDone)
		r.heartbeat(r.stopHeartbeat)
	}()
	for range r.c.opts.Concurrency {
		r.wg.workers.Go(func() { r.work(r.handlerCtx, r.stopWorkers) })
	}
	// Receives run under their own context, cancelled ShutdownPollGrace
	// after ctx, so a reply already on its way is read, not dropped.
	pollCtx, cancelPolls := context.WithCancel(context.WithoutCancel(ctx))
	r.cancelPolls = cancelPolls
	go func() {
		<-ctx.Done()
		sleep(pollCtx, r.c.opts.ShutdownPollGrace)
		cancelPolls()
	}()
	for range r.c.opts.Pollers {
		r.wg.pollers.Go(func() { r.poll(ctx, pollCtx) })
	}
}

// shutdown runs once ctx has ended: see Consumer.Run.
func (r *consumerRun) shutdown() {
	r.wg.pollers.Wait()
	r.cancelPolls()
	for _, m := range r.dispatch.stop() {
		r.giveBack(m, 0)
	}
	close(r.stopWorkers)
	drained := make(chan struct{})
	go func() {
		r.wg.workers.Wait()
		close(drained)
	}()
	deadline := time.NewTimer(r.c.opts.DrainTimeout)
	select {
	case <-drained:
		deadline.Stop()
	case <-deadline.C:
		// Handlers still running lose their messages to the queue now,
		// rather than keep them invisible past the deadline; whatever they
		// return later is ignored.
		r.cancelHandler()
		for _, m := range r.tracker.settleAll() {
			r.slots.put(1)
			r.visibility.add(settleOp{m: m})
		}
	}
	r.cancelHandler()
	close(r.stopHeartbeat)
	<-r.heartbeatDone
	r.deletes.close()
	r.visibility.close()
}

// ack deletes m unless it was settled already.
func (r *consumerRun) ack(m *inflight) {
	if r.tracker.settle(m) {
		r.slots.put(1)
		r.deletes.add(settleOp{m: m})
	}
}

// giveBack makes m visible again after d, unless it was settled already.
func (r *consumerRun) giveBack(m *inflight, d time.Duration) {
	if r.tracker.settle(m) {
		r.slots.put(1)
		r.visibility.add(settleOp{m: m, visibility: visibilitySeconds(d)})
	}
}
