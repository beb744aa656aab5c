package queue

import "sync"

// dispatcher hands received messages to workers. On a standard queue a
// message goes straight to the work channel. On a FIFO queue a message
// whose group is being handled waits behind it, so each group runs one
// message at a time, in the order received, while groups run in parallel.
type dispatcher struct {
	fifo bool
	work chan *inflight // sized to hold every message the slots allow

	mu      sync.Mutex
	groups  map[string][]*inflight // FIFO: busy groups and what waits behind them
	stopped bool
}

func newDispatcher(fifo bool, capacity int) *dispatcher {
	return &dispatcher{fifo: fifo, work: make(chan *inflight, capacity), groups: map[string][]*inflight{}}
}

// add queues m; it reports false once stopped, and m is the caller's to
// give back.
func (d *dispatcher) add(m *inflight) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped {
		return false
	}
	if d.fifo {
		g := m.msg.GroupID
		if waiting, busy := d.groups[g]; busy {
			d.groups[g] = append(waiting, m)
			return true
		}
		d.groups[g] = nil
	}
	d.work <- m // never blocks: the slots bound what is queued
	return true
}

// begin reports whether a worker may start m: false once stopped.
func (d *dispatcher) begin() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return !d.stopped
}

// done ends m's turn in its FIFO group. After a success the group's next
// message is queued. After a failure, or once stopped, the messages
// waiting in the group are returned so the caller gives them back: the
// failed one must come round again before them.
func (d *dispatcher) done(m *inflight, ok bool) []*inflight {
	if !d.fifo {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	g := m.msg.GroupID
	waiting := d.groups[g]
	if !ok || d.stopped || len(waiting) == 0 {
		delete(d.groups, g)
		return waiting
	}
	d.groups[g] = waiting[1:]
	d.work <- waiting[0]
	return nil
}

// stop refuses further messages and returns every one not yet started.
func (d *dispatcher) stop() []*inflight {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stopped = true
	var unstarted []*inflight
	for g, waiting := range d.groups {
		unstarted = append(unstarted, waiting...)
		d.groups[g] = nil
	}
	for {
		select {
		case m := <-d.work:
			unstarted = append(unstarted, m)
		default:
			return unstarted
		}
	}
}
