package tenants

import (
	"sync"
	"time"
)

// keyCache remembers what Resolve read, found or not, for ttl. It holds at
// most size entries: when full it first drops expired entries (at most
// once per ttl, so a flood of unknown ids does not sweep on every insert),
// then an arbitrary one.
type keyCache struct {
	ttl  time.Duration // <= 0: caching is off
	size int

	mu        sync.RWMutex
	entries   map[string]cacheEntry
	gen       uint64 // bumped by every forget; see put
	nextSweep time.Time
}

type cacheEntry struct {
	cred    Credential
	found   bool
	expires time.Time
}

func newKeyCache(ttl time.Duration, size int) *keyCache {
	return &keyCache{ttl: ttl, size: size, entries: make(map[string]cacheEntry)}
}

func (k *keyCache) get(id string, now time.Time) (cacheEntry, bool) {
	if k.ttl <= 0 {
		return cacheEntry{}, false
	}
	k.mu.RLock()
	e, ok := k.entries[id]
	k.mu.RUnlock()
	if !ok || !now.Before(e.expires) {
		return cacheEntry{}, false
	}
	return e, true
}

// generation is taken before reading the store and handed to put.
func (k *keyCache) generation() uint64 {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.gen
}

// put caches e unless something was forgotten since gen was taken: the
// store read may then predate the change and must not outlive it.
func (k *keyCache) put(id string, e cacheEntry, gen uint64, now time.Time) {
	if k.ttl <= 0 {
		return
	}
	e.expires = now.Add(k.ttl)
	k.mu.Lock()
	defer k.mu.Unlock()
	if gen != k.gen {
		return
	}
	if _, ok := k.entries[id]; !ok && len(k.entries) >= k.size {
		k.makeRoom(now)
	}
	k.entries[id] = e
}

func (k *keyCache) makeRoom(now time.Time) {
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

// forget drops one key.
func (k *keyCache) forget(id string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.gen++
	delete(k.entries, id)
}

// forgetAccount drops every key of the account.
func (k *keyCache) forgetAccount(accountID string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.gen++
	for id, e := range k.entries {
		if e.found && e.cred.AccountID == accountID {
			delete(k.entries, id)
		}
	}
}

func (k *keyCache) len() int {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return len(k.entries)
}
