package sqsotel

import (
	"sync"
	"sync/atomic"
)

// optionCache keeps values built from labels, such as a metric option
// holding an attribute set, up to limit of them: building a set sorts and
// allocates, and a node built several per call (docs/architecture.md §6).
// Past the limit values are built each time, so label values a client
// chooses cannot grow it.
type optionCache[K comparable, V any] struct {
	limit int64
	n     atomic.Int64
	m     sync.Map // K → V
}

func newOptionCache[K comparable, V any](limit int) *optionCache[K, V] {
	return &optionCache[K, V]{limit: int64(limit)}
}

// get returns the value for k, built by build the first time.
func (c *optionCache[K, V]) get(k K, build func() V) V {
	if v, ok := c.m.Load(k); ok {
		return v.(V)
	}
	v := build()
	if c.n.Load() < c.limit {
		if _, loaded := c.m.LoadOrStore(k, v); !loaded {
			c.n.Add(1)
		}
	}
	return v
}
