package engine

import "sync"

// waiters wakes this node's long-polling receivers when this node commits
// a message they could take. Receivers on other nodes notice by polling.
type waiters struct {
	mu    sync.Mutex
	chans map[did]chan struct{}
}

func newWaiters() *waiters { return &waiters{chans: map[did]chan struct{}{}} }

// wait returns a channel closed at the next notify for the data range.
// Take it before looking for messages, so a send in between is not missed.
func (w *waiters) wait(d did) <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	ch, ok := w.chans[d]
	if !ok {
		ch = make(chan struct{})
		w.chans[d] = ch
	}
	return ch
}

func (w *waiters) notify(d did) {
	w.mu.Lock()
	ch, ok := w.chans[d]
	delete(w.chans, d)
	w.mu.Unlock()
	if ok {
		close(ch)
	}
}
