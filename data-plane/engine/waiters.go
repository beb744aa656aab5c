package engine

import (
	"container/list"
	"context"
	"encoding/binary"
	"hash/fnv"
	"math"
	"slices"
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
//     waiters at once (notify) and looks at the queue again, and the
//     queue's data id is published under R/ for other nodes.
//   - A watcher looks at the queue (one read-only transaction for all its
//     waiters) when it starts, when another node published a change, when
//     the earliest in-flight or delayed entry it saw comes due, and one
//     PollInterval after a look that found messages ready, while waiters
//     race for them (which may leave new in-flight entries it has not
//     seen). It looks at most once per PollInterval. Finding messages
//     ready, it wakes waiters for them; they claim as before.
//   - A wake-up is for a number of messages: the longest-waiting waiters
//     whose MaxNumberOfMessages add up to it are woken, not all of them;
//     for FIFO groups a delete or a visibility change released, one
//     waiter a group, whatever it wants, since a claim may fill itself
//     from one group. Waking all for every send made each of a queue's
//     idle receivers claim after every send, though one could take the
//     lot: a claim that finds nothing still runs under the store's
//     writer lock, ahead of sends waiting for it. A waiter woken after
//     it last looked that leaves without looking again (its context
//     ended, or it left with messages of an earlier look) passes its
//     wake-up on to the next waiter, and a look that finds messages
//     ready (it wakes waiters for those that the waiters already woken
//     will not claim) is repeated a PollInterval later, so a wake-up a
//     claim did not use (one limited by admission, one that lost a race)
//     only delays a message, by at most about a PollInterval.
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
	d     did
	n     int       // waiters; guarded by waiters.mu
	armed list.List // of *waiter not yet woken, longest waiting first; guarded by waiters.mu
	// coming is the sum of the wants of the waiters woken and not yet
	// armed again, whose looks are still to come; guarded by waiters.mu.
	coming int
	look   chan struct{} // capacity 1: look at the store soon
	gone   chan struct{} // closed when the last waiter leaves
}

// waiter is one receive waiting on a watcher.
type waiter struct {
	w     *watcher
	want  int           // the most messages it claims at once
	woken chan struct{} // capacity 1: a wake-up it has not looked after
	elem  *list.Element // in w.armed while armed; guarded by waiters.mu
	// coming: woken and not yet armed again, so counted in w.coming;
	// guarded by waiters.mu.
	coming bool
}

// wakeAll is a wake-up for every waiter: a queue deleted or purged, or
// a change whose number of messages is not known.
const wakeAll = math.MaxInt

// maxLookCount bounds the ready messages a watcher's look counts, so a
// look over a backlog with many waiters stays a few short scans: ten full
// receives' worth. Receives it did not wake find the rest when their
// clients call again, or at the next look, a PollInterval on.
const maxLookCount = 100

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

// join registers a waiter on the data range that claims up to want
// messages at once. Arm it before each look for messages, so a change in
// between is not missed, and call leave when done.
func (ws *waiters) join(d did, want int) *waiter {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	w := ws.watchers[d]
	if w == nil {
		w = &watcher{d: d, look: make(chan struct{}, 1), gone: make(chan struct{})}
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
	return &waiter{w: w, want: max(want, 1), woken: make(chan struct{}, 1)}
}

// arm puts the waiter in line for the next wake-up and returns the channel
// it arrives on. The look that follows covers any wake-up before it.
func (ws *waiters) arm(wt *waiter) <-chan struct{} {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	select {
	case <-wt.woken:
	default:
	}
	wt.arrived()
	if wt.elem == nil {
		wt.elem = wt.w.armed.PushBack(wt)
	}
	return wt.woken
}

// leave unregisters a waiter; the last one stops the watcher. A wake-up
// it got after its last look goes to the next waiter in line.
func (ws *waiters) leave(wt *waiter) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	w := wt.w
	if wt.elem != nil {
		w.armed.Remove(wt.elem)
		wt.elem = nil
	}
	wt.arrived()
	select {
	case <-wt.woken:
		w.wake(wt.want)
	default:
	}
	if w.n--; w.n == 0 {
		delete(ws.watchers, w.d)
		close(w.gone)
	}
}

// wake wakes the armed waiters, longest waiting first, until their wants
// cover n messages. Call it with waiters.mu held.
func (w *watcher) wake(n int) {
	for n > 0 {
		want, ok := w.wakeFront()
		if !ok {
			return
		}
		n -= want
	}
}

// wakeWaiters wakes the k longest-waiting armed waiters, whatever they
// want: one for each FIFO group released, since a claim may fill itself
// from one group. Call it with waiters.mu held.
func (w *watcher) wakeWaiters(k int) {
	for ; k > 0; k-- {
		if _, ok := w.wakeFront(); !ok {
			return
		}
	}
}

// wakeFront wakes the longest-waiting armed waiter, if any, and returns
// what it wants. Call it with waiters.mu held.
func (w *watcher) wakeFront() (want int, ok bool) {
	front := w.armed.Front()
	if front == nil {
		return 0, false
	}
	wt := w.armed.Remove(front).(*waiter)
	wt.elem = nil
	wt.coming = true
	w.coming += wt.want
	select {
	case wt.woken <- struct{}{}:
	default:
	}
	return wt.want, true
}

// found wakes waiters for ready messages a look found. Those already
// woken claim what is ready when they look, so it wakes others only for
// the rest; if one of them claims less (admission, a lost race), the next
// look, a PollInterval on, finds what is left. Call it with waiters.mu
// held.
func (w *watcher) found(ready int) { w.wake(ready - w.coming) }

// arrived takes a woken waiter out of its watcher's coming looks. Call
// it with waiters.mu held.
func (wt *waiter) arrived() {
	if wt.coming {
		wt.coming = false
		wt.w.coming -= wt.want
	}
}

// wants is the sum of the wants of the armed waiters and of those woken
// whose looks are to come (at least 1): the most messages a look need
// count. Call it with waiters.mu held.
func (w *watcher) wants() int {
	n := w.coming
	for e := w.armed.Front(); e != nil; e = e.Next() {
		n += e.Value.(*waiter).want
	}
	return max(n, 1)
}

// notify is called after a commit that may have made messages of the data
// range receivable: this node's waiters wake at once, other nodes' within
// about a PollInterval.
func (ws *waiters) notify(d did) { ws.signal(d, wakeAll) }

// notifyN is notify for a commit that made at most n messages receivable
// (a send): waiters for n messages wake, not all.
func (ws *waiters) notifyN(d did, n int) { ws.signal(d, n) }

// notifyReleased is notify for a commit that made FIFO groups or single
// messages receivable (a dead-letter move, a committed half message), one
// entry of released per group or message and its queue's data range: one
// waiter wakes per entry, not all (the watcher looks too, and wakes more
// for what else it finds ready).
func (ws *waiters) notifyReleased(released []did) {
	for i, d := range released {
		if slices.Contains(released[:i], d) {
			continue // counted with its first
		}
		groups := 0
		for _, o := range released[i:] {
			if o == d {
				groups++
			}
		}
		ws.signalWith(d, func(w *watcher) { w.wakeWaiters(groups) })
	}
}

// changed is called after a commit that changed when messages of the data
// range become receivable (a delayed send, a visibility change), so that
// watchers here and on other nodes look again.
func (ws *waiters) changed(d did) { ws.signal(d, 0) }

// signal wakes this node's waiters for n messages, has its watcher look,
// and publishes the change for other nodes.
func (ws *waiters) signal(d did, n int) {
	ws.signalWith(d, func(w *watcher) { w.wake(n) })
}

// signalWith is signal with wake choosing whom to wake.
func (ws *waiters) signalWith(d did, wake func(*watcher)) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if w := ws.watchers[d]; w != nil {
		wake(w)
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
		ws.mu.Lock()
		limit := min(w.wants(), maxLookCount)
		ws.mu.Unlock()
		ready, next, err := ws.e.lookAhead(ws.ctx, w.d, limit)
		switch {
		case err != nil:
			if ws.ctx.Err() == nil {
				ws.e.log.Warn("long poll: look at queue", "error", err)
			}
			schedule(last.Add(interval))
		case ready > 0:
			ws.mu.Lock()
			w.found(ready)
			ws.mu.Unlock()
			schedule(last.Add(interval)) // the waiters' claims move entries it has not seen
		case next > 0:
			schedule(last.Add(time.Duration(next-ws.e.clock().UnixMilli()) * time.Millisecond))
		}
	}
}
