package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"sync"
)

// deriveSigningKey is SigV4's key derivation: four chained HMACs from the
// secret down to the day, region and service of the credential scope.
func deriveSigningKey(secret, date, region, service string) [sha256.Size]byte {
	key := hmacSHA256([]byte("AWS4"+secret), date)
	key = hmacSHA256(key, region)
	key = hmacSHA256(key, service)
	key = hmacSHA256(key, scopeTerminator)
	return [sha256.Size]byte(key)
}

func hmacSHA256(key []byte, data string) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(data))
	return mac.Sum(nil)
}

// scopeKey names one signing key: a key holder's scope for one day, region
// and service.
type scopeKey struct {
	accessKeyID, date, region, service string
}

type cachedKey struct {
	secret string // the secret it was derived from: a rotated secret misses
	key    [sha256.Size]byte
}

// signingKeyCache keeps derived signing keys, since one key serves every
// request of an access key for a day. It is bounded: when full, one
// arbitrary entry (Go's map order) makes room, which is enough to keep the
// working set of active keys without an LRU's bookkeeping.
type signingKeyCache struct {
	mu      sync.Mutex
	max     int
	entries map[scopeKey]cachedKey
}

func newSigningKeyCache(max int) *signingKeyCache {
	return &signingKeyCache{max: max, entries: make(map[scopeKey]cachedKey, max)}
}

func (c *signingKeyCache) get(scope scopeKey, secret string) ([sha256.Size]byte, bool) {
	c.mu.Lock()
	entry, ok := c.entries[scope]
	c.mu.Unlock()
	if !ok || entry.secret != secret {
		return [sha256.Size]byte{}, false
	}
	return entry.key, true
}

func (c *signingKeyCache) put(scope scopeKey, secret string, key [sha256.Size]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[scope]; !ok && len(c.entries) >= c.max {
		for victim := range c.entries {
			delete(c.entries, victim)
			break
		}
	}
	c.entries[scope] = cachedKey{secret: secret, key: key}
}

func (c *signingKeyCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
