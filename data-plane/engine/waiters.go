package engine

import (
	"context"
	"encoding/binary"
	"hash/fnv"
	"sync"
	"time"
)

// Long polling costs the store nothing while nothing happens. A node's
// receivers waiting on one queue share a watcher (one goroutine per queue
// with waiters on this node), and the watchers share one reader of the
// recent-changes index (wakeups.go):
//
//   - A commit that makes messages receivable, or changes when they will
//     be, calls notify or changed: this node's watcher of the queue wakes
//     its waiters at once (notify) and looks at the queue again, and the
//     queue's data id is published under R/ for other nodes.
//   - A watcher looks at the queue (one read-only transaction for all its
//     waiters) when it starts, when another node published a change, when
//     the earliest in-flight or delayed entry it saw comes due, and one
//     PollInterval after a look that found messages ready, while waiters
//     race for them (which may leave new in-flight entries it has not
//     seen). It looks at most once per PollInterval. Finding messages
//     ready, it wakes all its waiters; they claim as before.
//   - Every PollInterval, while this node has watchers, one scan of R/
//     finds the queues other nodes changed and prods their watchers.
//
// Nothing else polls: an idle queue's watcher sleeps until something
// happens. A wake-up lost anyway (a node that crashed between a commit and
// its publication, an R/ entry committed more than maxClockSkew late) only
// delays a message until the waiter's own wait ends, when it looks once
// more before returning empty.
type waiters struct {
	e      *Engine
	tag    [8]byte // this node in R/ keys, so it skips its own
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu          sync.Mutex
	closed      bool
	watchers    map[did]*watcher
	scanning    bool             // the R/ reader runs
	pending     map[did]struct{} // data ids to publish under R/
	publishing  bool             // the publisher runs
	lastCleanup int64            // ms: when old R/ entries were last deleted
}

// watcher stands for this node's waiters on one data range.
type watcher struct {
	d    did
	n    int           // waiters; guarded by waiters.mu
	wake chan struct{} // closed to wake the waiters; guarded by waiters.mu
	look chan struct{} // capacity 1: look at the store soon
	gone chan struct{} // closed when the last waiter leaves
}

func newWaiters() *waiters {
	return &waiters{watchers: map[did]*watcher{}, pending: map[did]struct{}{}}
}

// attach binds the waiters to their engine, once, in New.
func (ws *waiters) attach(e *Engine) {
	ws.e = e
	ws.ctx, ws.cancel = context.WithCancel(context.Background())
	h := fnv.New64a()
	_, _ = h.Write([]byte(e.opts.NodeID))
	binary.BigEndian.PutUint64(ws.tag[:], h.Sum64())
}

// close stops the watchers, the R/ reader and the publisher. Receivers
// still waiting wait out their time.
func (ws *waiters) close() {
	ws.mu.Lock()
	ws.closed = true
	ws.mu.Unlock()
	ws.cancel()
	ws.wg.Wait()
}

// join registers a waiter on the data range. Take its wake channel with
// wakeup before looking for messages, so a change in between is not
// missed, and call leave when done.
func (ws *waiters) join(d did) *watcher {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	w := ws.watchers[d]
	if w == nil {
		w = &watcher{d: d, wake: make(chan struct{}), look: make(chan struct{}, 1), gone: make(chan struct{})}
		ws.watchers[d] = w
		if !ws.closed {
			ws.wg.Add(1)
			go ws.watch(w)
			if !ws.scanning {
				ws.scanning = true
				ws.wg.Add(1)
				go ws.readRecent()
			}
		}
	}
	w.n++
	return w
}

// wakeup returns a channel closed at the watcher's next wake.
func (ws *waiters) wakeup(w *watcher) <-chan struct{} {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return w.wake
}

// leave unregisters a waiter; the last one stops the watcher.
func (ws *waiters) leave(w *watcher) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if w.n--; w.n == 0 {
		delete(ws.watchers, w.d)
		close(w.gone)
	}
}

// notify is called after a commit that may have made messages of the data
// range receivable: this node's waiters wake at once, other nodes' within
// about a PollInterval.
func (ws *waiters) notify(d did) { ws.signal(d, true) }

// changed is called after a commit that changed when messages of the data
// range become receivable (a delayed send, a visibility change), so that
// watchers here and on other nodes look again.
func (ws *waiters) changed(d did) { ws.signal(d, false) }

func (ws *waiters) signal(d did, wake bool) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if w := ws.watchers[d]; w != nil {
		if wake {
			close(w.wake)
			w.wake = make(chan struct{})
		}
		w.prod()
	}
	ws.pending[d] = struct{}{}
	if !ws.publishing && !ws.closed {
		ws.publishing = true
		ws.wg.Add(1)
		go ws.publish()
	}
}

// prod asks the watcher to look at the store.
func (w *watcher) prod() {
	select {
	case w.look <- struct{}{}:
	default:
	}
}

// prodWatcher prods this node's watcher of the data range, if any.
func (ws *waiters) prodWatcher(d did) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if w := ws.watchers[d]; w != nil {
		w.prod()
	}
}

// watch runs a watcher until its last waiter leaves: it looks at the store
// when asked or due, at most once per PollInterval.
func (ws *waiters) watch(w *watcher) {
	defer ws.wg.Done()
	interval := ws.e.opts.PollInterval
	timer := time.NewTimer(0) // the first look, at once
	defer timer.Stop()
	var last, due time.Time // the last look; the next one (zero: none)
	schedule := func(at time.Time) {
		if !last.IsZero() && at.Before(last.Add(interval)) {
			at = last.Add(interval)
		}
		if due.IsZero() || at.Before(due) {
			due = at
			timer.Reset(time.Until(at))
		}
	}
	for {
		select {
		case <-w.gone:
			return
		case <-ws.ctx.Done():
			return
		case <-w.look:
			schedule(time.Now())
			continue
		case <-timer.C:
		}
		last, due = time.Now(), time.Time{}
		ready, next, err := ws.e.lookAhead(ws.ctx, w.d)
		switch {
		case err != nil:
			if ws.ctx.Err() == nil {
				ws.e.log.Warn("long poll: look at queue", "error", err)
			}
			schedule(last.Add(interval))
		case ready:
			ws.mu.Lock()
			close(w.wake)
			w.wake = make(chan struct{})
			ws.mu.Unlock()
			schedule(last.Add(interval)) // the waiters' claims move entries it has not seen
		case next > 0:
			schedule(last.Add(time.Duration(next-ws.e.clock().UnixMilli()) * time.Millisecond))
		}
	}
}
