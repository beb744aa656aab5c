package tiering

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/sluice-mq/sluice/data-plane/tiering/segment"
	"github.com/sluice-mq/sluice/internal/blob"
)

const (
	defaultCacheBytes = 64 << 20
	// touchedKeys bounds the set of segments read once but not cached.
	// Each entry costs a key and a list element, so a few thousand is
	// cheap, and it comfortably exceeds the segments a node drains at once.
	touchedKeys = 4096
)

// ReaderOptions tunes a Reader. Zero values mean the defaults.
type ReaderOptions struct {
	// CacheBytes bounds the total size of cached segments; default 64 MiB.
	CacheBytes int64
	// MaxCachedSegment is the largest segment that is cached whole; larger
	// ones are only ever read by range, so one cannot flush the cache.
	// Default CacheBytes/4; at most CacheBytes.
	MaxCachedSegment int64
}

// ReaderStats counts a Reader's work since it was created.
type ReaderStats struct {
	// Hits counts reads served without a request of their own: from the
	// cache, or from a whole-segment fetch another caller had in flight.
	Hits int64
	// RangeReads counts ranged GETs of single frames.
	RangeReads int64
	// WholeReads counts GETs of whole segments.
	WholeReads int64
	// Evictions counts segments dropped to make room (not Forget calls).
	Evictions int64
	// CachedBytes is the current total size of cached segments.
	CachedBytes int64
}

// Reader reads frames and whole segments from a blob store through a cache
// of whole segments. It is safe for concurrent use.
//
// Slices returned by Frame and Segment may be shared with the cache and
// other callers: they must not be modified.
type Reader struct {
	store     blob.Store
	maxCached int64

	mu      sync.Mutex
	cache   *segmentCache
	touched *touchSet
	flights map[string]*flight // whole-segment fetches in progress
	stats   ReaderStats        // CachedBytes is filled in by Stats
}

// NewReader returns a Reader over store.
func NewReader(store blob.Store, opts ReaderOptions) *Reader {
	if opts.CacheBytes <= 0 {
		opts.CacheBytes = defaultCacheBytes
	}
	if opts.MaxCachedSegment <= 0 {
		opts.MaxCachedSegment = opts.CacheBytes / 4
	}
	opts.MaxCachedSegment = min(opts.MaxCachedSegment, opts.CacheBytes)
	return &Reader{
		store:     store,
		maxCached: opts.MaxCachedSegment,
		cache:     newSegmentCache(opts.CacheBytes),
		touched:   newTouchSet(touchedKeys),
		flights:   make(map[string]*flight),
	}
}

// Frame returns the bytes of ref in the segment stored under key.
//
// A cached segment serves the read at once. Otherwise the first read of a
// segment fetches only ref's bytes and remembers the key; a second read
// fetches and caches the whole segment, because a backlog drains roughly in
// segment order and the rest of it will be wanted soon. Segments too large
// to cache (learned from ref's end or, on the second read, from a Stat)
// are always read by range. Concurrent whole fetches of one segment are
// collapsed into one request.
//
// The bytes are not checked; pass them to segment.Codec.DecodeFrame. A ref
// that is invalid or runs past the end of a cached segment yields an error
// wrapping segment.ErrCorrupt; a missing object one wrapping
// blob.ErrNotFound. The result must not be modified.
func (r *Reader) Frame(ctx context.Context, key string, ref segment.Ref) ([]byte, error) {
	if err := checkRef(key, ref); err != nil {
		return nil, err
	}
	for {
		r.mu.Lock()
		if seg, ok := r.cache.get(key); ok {
			r.stats.Hits++
			r.mu.Unlock()
			return sliceFrame(key, seg, ref)
		}
		if f := r.flights[key]; f != nil {
			f.waiters++
			r.mu.Unlock()
			seg, retry, err := r.wait(ctx, key, f)
			switch {
			case retry:
				continue
			case err != nil:
				return nil, err
			case seg == nil: // too large to cache: read the range
				return r.readRange(ctx, key, ref)
			}
			return sliceFrame(key, seg, ref)
		}
		size, touched := r.touched.lookup(key)
		if !touched && ref.Offset+ref.Length <= r.maxCached {
			r.touched.add(key, unknownSize)
		}
		if !touched || size > r.maxCached || ref.Offset+ref.Length > r.maxCached {
			r.mu.Unlock()
			return r.readRange(ctx, key, ref)
		}
		f := r.startFlight(key)
		r.mu.Unlock()
		seg := r.fetch(ctx, key, f, true)
		switch {
		case f.err != nil:
			return nil, f.err
		case seg == nil:
			return r.readRange(ctx, key, ref)
		}
		return sliceFrame(key, seg, ref)
	}
}

// CachedFrame returns the bytes of ref from the cached segment under key,
// and false when that segment is not cached: it never waits on the blob
// store, for callers that must not (a store transaction). An invalid ref,
// or one past the end of the segment, yields an error wrapping
// segment.ErrCorrupt. The result must not be modified.
func (r *Reader) CachedFrame(key string, ref segment.Ref) ([]byte, bool, error) {
	r.mu.Lock()
	seg, ok := r.cache.get(key)
	if ok {
		r.stats.Hits++
	}
	r.mu.Unlock()
	if !ok {
		return nil, false, nil
	}
	if err := checkRef(key, ref); err != nil {
		return nil, true, err
	}
	frame, err := sliceFrame(key, seg, ref)
	return frame, true, err
}

// Segment returns the whole segment stored under key, for compaction and
// garbage collection. It is served from the cache when there, and cached
// after fetching unless larger than MaxCachedSegment. Errors from the store
// are wrapped (blob.ErrNotFound stays visible to errors.Is). The result
// must not be modified.
func (r *Reader) Segment(ctx context.Context, key string) ([]byte, error) {
	for {
		r.mu.Lock()
		if seg, ok := r.cache.get(key); ok {
			r.stats.Hits++
			r.mu.Unlock()
			return seg, nil
		}
		if f := r.flights[key]; f != nil {
			f.waiters++
			r.mu.Unlock()
			seg, retry, err := r.wait(ctx, key, f)
			switch {
			case err != nil:
				return nil, err
			case retry || seg == nil:
				// seg == nil: that fetch found the segment too large to
				// cache and skipped it; the next round fetches it anyway.
				continue
			}
			return seg, nil
		}
		f := r.startFlight(key)
		r.mu.Unlock()
		seg := r.fetch(ctx, key, f, false)
		return seg, f.err
	}
}

// Cached reports whether the segment under key is cached whole, so that
// reading from it needs no request. It does not count as a use.
func (r *Reader) Cached(key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cache.contains(key)
}

// Forget drops the segment under key from the cache and from the reader's
// memory of recent reads; call it when the segment is deleted. A fetch of
// it already in flight completes for the callers waiting on it but is not
// cached.
func (r *Reader) Forget(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cache.remove(key)
	r.touched.remove(key)
	if f := r.flights[key]; f != nil {
		// Later readers start a fetch of their own rather than share one
		// that may have read the segment before it was deleted.
		f.forgotten = true
		delete(r.flights, key)
	}
}

// Stats returns the reader's counters.
func (r *Reader) Stats() ReaderStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.stats
	s.CachedBytes = r.cache.used
	return s
}

// readRange fetches ref's bytes alone.
func (r *Reader) readRange(ctx context.Context, key string, ref segment.Ref) ([]byte, error) {
	r.mu.Lock()
	r.stats.RangeReads++
	r.mu.Unlock()
	data, err := r.store.GetRange(ctx, key, ref.Offset, ref.Length)
	if err != nil {
		return nil, fmt.Errorf("tiering: read frame [%d, +%d) of segment %q: %w", ref.Offset, ref.Length, key, err)
	}
	return data, nil
}

// checkRef fails for a ref no segment can hold.
func checkRef(key string, ref segment.Ref) error {
	if ref.Offset < 0 || ref.Length <= 0 || ref.Offset > math.MaxInt64-ref.Length {
		return fmt.Errorf("tiering: frame [%d, +%d) of segment %q: invalid range: %w",
			ref.Offset, ref.Length, key, segment.ErrCorrupt)
	}
	return nil
}

// sliceFrame returns ref's bytes from a whole segment. Its capacity is
// clipped so a caller's append cannot write into the shared segment.
func sliceFrame(key string, seg []byte, ref segment.Ref) ([]byte, error) {
	if ref.Offset+ref.Length > int64(len(seg)) {
		return nil, fmt.Errorf("tiering: frame [%d, +%d) runs past the end of the %d-byte segment %q: %w",
			ref.Offset, ref.Length, len(seg), key, segment.ErrCorrupt)
	}
	return slices.Clip(seg[ref.Offset : ref.Offset+ref.Length]), nil
}
