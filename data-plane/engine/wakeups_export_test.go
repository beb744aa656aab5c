package engine

// WaitActivity reports how many queues have a watcher on this node and
// whether the reader of recent changes runs.
func (e *Engine) WaitActivity() (watchers int, reading bool) {
	e.waiters.mu.Lock()
	defer e.waiters.mu.Unlock()
	return len(e.waiters.watchers), e.waiters.scanning
}

// ArmedWaiters counts the receives on this node waiting for a wake-up.
func (e *Engine) ArmedWaiters() int {
	e.waiters.mu.Lock()
	defer e.waiters.mu.Unlock()
	n := 0
	for _, w := range e.waiters.watchers {
		n += w.armed.Len()
	}
	return n
}

// WaitLine is the waiters of one data range without a watcher goroutine
// or an engine, for tests that hand out wake-ups themselves.
type WaitLine struct {
	ws *waiters
	d  did
}

// LineWaiter is one waiter of a WaitLine.
type LineWaiter struct{ wt *waiter }

func NewWaitLine() *WaitLine {
	ws := newWaiters()
	ws.closed = true // join starts no goroutines, signal publishes nothing
	return &WaitLine{ws: ws, d: did{1}}
}

func (l *WaitLine) Join(want int) LineWaiter         { return LineWaiter{l.ws.join(l.d, want)} }
func (l *WaitLine) Arm(w LineWaiter) <-chan struct{} { return l.ws.arm(w.wt) }
func (l *WaitLine) Leave(w LineWaiter)               { l.ws.leave(w.wt) }
func (l *WaitLine) Notify(n int)                     { l.ws.notifyN(l.d, n) }

// Found is what the watcher does when its look finds ready messages.
func (l *WaitLine) Found(ready int) {
	l.ws.mu.Lock()
	defer l.ws.mu.Unlock()
	l.ws.watchers[l.d].found(ready)
}

func (l *WaitLine) NotifyAll() { l.ws.notify(l.d) }
