package tenants

import (
	"sync"
	"time"
)

// ttlCache remembers store reads, found or not, for ttl. It holds at most
// size entries: when full it first drops expired entries (at most once per
// ttl, so a flood of unknown ids does not sweep on every insert), then an
// arbitrary one. The Catalog keeps one for access keys (Resolve) and one
// for tokens (CheckToken).
type ttlCache[V any] struct {
	ttl  time.Duration // <= 0: caching is off
	size int

	mu        sync.RWMutex
	entries   map[string]cached[V]
	gen       uint64 // bumped by every forget; see put
	nextSweep time.Time
}

type cached[V any] struct {
	value   V
	expires time.Time
}

func newTTLCache[V any](ttl time.Duration, size int) *ttlCache[V] {
	return &ttlCache[V]{ttl: ttl, size: size, entries: make(map[string]cached[V])}
}

func (k *ttlCache[V]) get(id string, now time.Time) (V, bool) {
	var zero V
	if k.ttl <= 0 {
		return zero, false
	}
	k.mu.RLock()
	e, ok := k.entries[id]
	k.mu.RUnlock()
	if !ok || !now.Before(e.expires) {
		return zero, false
	}
	return e.value, true
}

// generation is taken before reading the store and handed to put.
func (k *ttlCache[V]) generation() uint64 {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.gen
}

// put caches v unless something was forgotten since gen was taken: the
// store read may then predate the change and must not outlive it.
func (k *ttlCache[V]) put(id string, v V, gen uint64, now time.Time) {
	if k.ttl <= 0 {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if gen != k.gen {
		return
	}
	if _, ok := k.entries[id]; !ok && len(k.entries) >= k.size {
		k.makeRoom(now)
	}
	k.entries[id] = cached[V]{value: v, expires: now.Add(k.ttl)}
}

func (k *ttlCache[V]) makeRoom(now time.Time) {
	if !now.Before(k.nextSweep) {
		k.nextSweep = now.Add(k.ttl)
		for id, e := range k.entries {
			if !now.Before(e.expires) {
				delete(k.entries, id)
			}
		}
	}
	for id := range k.entries {
		if len(k.entries) < k.size {
			return
		}
		delete(k.entries, id) // map order is random: a random eviction
	}
}

// forget drops one entry.
func (k *ttlCache[V]) forget(id string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.gen++
	delete(k.entries, id)
}

// forgetWhere drops every entry whose value matches.
func (k *ttlCache[V]) forgetWhere(match func(V) bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.gen++
	for id, e := range k.entries {
		if match(e.value) {
			delete(k.entries, id)
		}
	}
}

func (k *ttlCache[V]) len() int {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return len(k.entries)
}
