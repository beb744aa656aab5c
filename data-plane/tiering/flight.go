package tiering

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// flight is one whole-segment fetch that concurrent readers of the segment
// share. Its fields other than done are guarded by Reader.mu until done is
// closed, and read-only after.
type flight struct {
	done chan struct{}
	seg  []byte // the segment; nil when skipped as too large to cache
	err  error
	// forgotten is set by Forget: the result must not be cached.
	forgotten bool
	// waiters counts callers that joined the fetch; tests read it.
	waiters int
}

// startFlight registers a fetch of key, which the caller then runs with
// fetch. r.mu must be held.
func (r *Reader) startFlight(key string) *flight {
	f := &flight{done: make(chan struct{})}
	r.flights[key] = f
	return f
}

// fetch runs flight f: it reads the whole segment under key and caches it
// if it fits. With checkSize, a segment too large to cache is not read at
// all: a Stat finds its size and the flight ends with no segment and no
// error. The size of a segment too large to cache is remembered either way,
// so later reads of it go straight to ranged reads. It returns f.seg; f.err holds the error.
func (r *Reader) fetch(ctx context.Context, key string, f *flight, checkSize bool) []byte {
	seg, size, err := r.load(ctx, key, checkSize)
	r.mu.Lock()
	if r.flights[key] == f {
		delete(r.flights, key)
	}
	f.seg, f.err = seg, err
	switch {
	case err != nil || f.forgotten:
	case size > r.maxCached:
		r.touched.add(key, size)
	default:
		r.stats.Evictions += int64(r.cache.add(key, seg))
		r.touched.remove(key)
	}
	r.mu.Unlock()
	close(f.done)
	return seg
}

// load reads the whole segment, or with checkSize only its size if that is
// too large to cache.
func (r *Reader) load(ctx context.Context, key string, checkSize bool) (seg []byte, size int64, err error) {
	if checkSize {
		info, err := r.store.Stat(ctx, key)
		if err != nil {
			return nil, 0, fmt.Errorf("tiering: stat segment %q: %w", key, err)
		}
		if info.Size > r.maxCached {
			return nil, info.Size, nil
		}
	}
	r.mu.Lock()
	r.stats.WholeReads++
	r.mu.Unlock()
	seg, err = r.store.Get(ctx, key)
	if err != nil {
		return nil, 0, fmt.Errorf("tiering: read segment %q: %w", key, err)
	}
	return slices.Clip(seg), int64(len(seg)), nil
}

// wait waits for flight f on key, which the caller joined. It reports
// retry when the fetch failed only because its leader's context ended
// while the caller's has not: the caller should start over rather than
// inherit someone else's cancellation.
func (r *Reader) wait(ctx context.Context, key string, f *flight) (seg []byte, retry bool, err error) {
	select {
	case <-f.done:
	case <-ctx.Done():
		return nil, false, fmt.Errorf("tiering: wait for segment %q: %w", key, ctx.Err())
	}
	if f.err != nil {
		if isContextErr(f.err) && ctx.Err() == nil {
			return nil, true, nil
		}
		return nil, false, f.err
	}
	if f.seg != nil {
		r.mu.Lock()
		r.stats.Hits++
		r.mu.Unlock()
	}
	return f.seg, false, nil
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
