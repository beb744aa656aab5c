package tiering

import "container/list"

// segmentCache is an LRU of whole segments bounded by their total size. It
// is not safe for concurrent use; Reader guards it.
type segmentCache struct {
	limit int64
	used  int64
	order *list.List // of *cachedSegment, most recently used first
	items map[string]*list.Element
}

type cachedSegment struct {
	key  string
	data []byte
}

func newSegmentCache(limit int64) *segmentCache {
	return &segmentCache{limit: limit, order: list.New(), items: make(map[string]*list.Element)}
}

// get returns key's segment and marks it most recently used.
func (c *segmentCache) get(key string) ([]byte, bool) {
	el, ok := c.items[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*cachedSegment).data, true
}

// contains reports whether key is cached without touching its recency.
func (c *segmentCache) contains(key string) bool {
	_, ok := c.items[key]
	return ok
}

// add caches data under key, evicting least recently used segments until it
// fits, and returns how many it evicted. data must not exceed the limit.
func (c *segmentCache) add(key string, data []byte) (evicted int) {
	c.remove(key)
	for c.used+int64(len(data)) > c.limit {
		oldest := c.order.Back()
		if oldest == nil {
			break
		}
		c.remove(oldest.Value.(*cachedSegment).key)
		evicted++
	}
	c.items[key] = c.order.PushFront(&cachedSegment{key: key, data: data})
	c.used += int64(len(data))
	return evicted
}

// remove drops key and reports whether it was cached.
func (c *segmentCache) remove(key string) bool {
	el, ok := c.items[key]
	if !ok {
		return false
	}
	c.order.Remove(el)
	delete(c.items, key)
	c.used -= int64(len(el.Value.(*cachedSegment).data))
	return true
}

// touchSet remembers the segments read recently but not cached, so the
// second read of one can fetch it whole. It keeps at most max keys,
// forgetting the least recently touched. It is not safe for concurrent
// use; Reader guards it.
type touchSet struct {
	max   int
	order *list.List // of *touch, most recently touched first
	items map[string]*list.Element
}

// touch is one remembered segment. size is the object's size once a Stat
// found it too large to cache, so later reads skip straight to ranged
// reads; it is unknownSize until then.
type touch struct {
	key  string
	size int64
}

const unknownSize = -1

func newTouchSet(max int) *touchSet {
	return &touchSet{max: max, order: list.New(), items: make(map[string]*list.Element)}
}

// lookup returns key's remembered size and whether it was touched.
func (s *touchSet) lookup(key string) (size int64, ok bool) {
	el, ok := s.items[key]
	if !ok {
		return 0, false
	}
	return el.Value.(*touch).size, true
}

// add remembers key with size, as the most recently touched.
func (s *touchSet) add(key string, size int64) {
	if el, ok := s.items[key]; ok {
		el.Value.(*touch).size = size
		s.order.MoveToFront(el)
		return
	}
	s.items[key] = s.order.PushFront(&touch{key: key, size: size})
	if s.order.Len() > s.max {
		s.remove(s.order.Back().Value.(*touch).key)
	}
}

func (s *touchSet) remove(key string) {
	if el, ok := s.items[key]; ok {
		s.order.Remove(el)
		delete(s.items, key)
	}
}
