package engine

import (
	"sync"
	"time"

	"github.com/sluice-mq/sluice/data-plane/queues"
)

// contentionMemory is how long a queue counts as contended on this node
// after two of its receives overlapped or a claim met another receiver's
// lock: a pool of consumers leaves gaps between its calls, and those gaps
// must not turn it back to oldest-first order, which makes receivers
// collide.
const contentionMemory = time.Second

// receivers tells a receive whether it is alone on its queue. A lone
// receive claims oldest-first across the shards (a single consumer of a
// quiet queue then sees send order, as in SQS); a contended one keeps the
// random shard and shuffled window, which spreads receivers over
// different messages.
type receivers struct {
	now    func() time.Time // monotonic time; not the engine's clock, which tests freeze
	mu     sync.Mutex
	queues map[queues.Ref]*receiverState
	keep   int // prune idle entries when the map grows past this
}

type receiverState struct {
	active    int       // receives of this queue in progress on this node
	contended time.Time // when contention was last seen
}

func newReceivers(now func() time.Time) *receivers {
	return &receivers{now: now, queues: map[queues.Ref]*receiverState{}, keep: 64}
}

// begin registers a receive of the queue and reports whether it is
// uncontended: no other receive of the queue in progress on this node and
// none overlapping or meeting a taken lock within contentionMemory. Call
// end when the receive is done.
func (r *receivers) begin(ref queues.Ref) (alone bool) {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.queues[ref]
	if st == nil {
		r.prune(now)
		st = &receiverState{}
		r.queues[ref] = st
	}
	st.active++
	if st.active > 1 {
		st.contended = now
	}
	return st.active == 1 && now.Sub(st.contended) >= contentionMemory
}

// end unregisters a receive begin registered.
func (r *receivers) end(ref queues.Ref) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st := r.queues[ref]; st != nil {
		st.active--
	}
}

// contended records that a receive of the queue met another receiver: a
// message it scanned was locked or taken by the time it tried to lock it,
// or its transaction conflicted. That is how receivers on other nodes
// show.
func (r *receivers) contended(ref queues.Ref) {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if st := r.queues[ref]; st != nil {
		st.contended = now
	}
}

// prune drops queues with no receive in progress and no recent contention
// once the map has doubled since the last prune, so the map stays within
// twice the queues in use.
func (r *receivers) prune(now time.Time) {
	if len(r.queues) < r.keep {
		return
	}
	for ref, st := range r.queues {
		if st.active == 0 && now.Sub(st.contended) >= contentionMemory {
			delete(r.queues, ref)
		}
	}
	r.keep = max(64, 2*len(r.queues))
}
