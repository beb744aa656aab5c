package tiering

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/tiering/segment"
	"github.com/sluice-mq/sluice/internal/blob"
)

func TestFrameTwoTouches(t *testing.T) {
	store, c := newStore(t), newCodec(t)
	ts := putSegment(t, store, c, "q/seg-1", 10, 100)
	size := int64(len(ts.data))
	r := NewReader(store, ReaderOptions{})

	readRecord(t, r, c, ts, 0)
	wantStats(t, r, ReaderStats{RangeReads: 1})
	if r.Cached(ts.key) {
		t.Fatal("segment cached after one read")
	}
	readRecord(t, r, c, ts, 1)
	wantStats(t, r, ReaderStats{RangeReads: 1, WholeReads: 1, CachedBytes: size})
	if !r.Cached(ts.key) {
		t.Fatal("segment not cached after two reads")
	}
	for i := 2; i < 10; i++ {
		readRecord(t, r, c, ts, i)
	}
	wantStats(t, r, ReaderStats{Hits: 8, RangeReads: 1, WholeReads: 1, CachedBytes: size})
	if store.ranges.Load() != 1 || store.gets.Load() != 1 || store.stats.Load() != 1 {
		t.Fatalf("store saw %d ranged reads, %d gets, %d stats; want 1 each",
			store.ranges.Load(), store.gets.Load(), store.stats.Load())
	}

	seg, err := r.Segment(t.Context(), ts.key)
	if err != nil || string(seg) != string(ts.data) {
		t.Fatalf("Segment = %d bytes, %v", len(seg), err)
	}
	wantStats(t, r, ReaderStats{Hits: 9, RangeReads: 1, WholeReads: 1, CachedBytes: size})
}

func TestLargeSegmentsAreNeverCached(t *testing.T) {
	store, c := newStore(t), newCodec(t)
	ts := putSegment(t, store, c, "q/big", 20, 1000) // ~20 KiB
	r := NewReader(store, ReaderOptions{CacheBytes: 1 << 20, MaxCachedSegment: 8 << 10})

	for round := range 3 {
		for i := range ts.entries {
			readRecord(t, r, c, ts, i)
		}
		if s := r.Stats(); s.CachedBytes != 0 || s.WholeReads != 0 || s.Hits != 0 {
			t.Fatalf("round %d: Stats() = %+v, want only range reads", round, s)
		}
	}
	// Frames past MaxCachedSegment never touch the key; of the rest, the
	// second read stats the object once and remembers its size.
	if n := store.stats.Load(); n != 1 {
		t.Errorf("store saw %d stats, want 1", n)
	}
	if n := store.gets.Load(); n != 0 {
		t.Errorf("store saw %d gets, want 0", n)
	}

	seg, err := r.Segment(t.Context(), ts.key)
	if err != nil || string(seg) != string(ts.data) {
		t.Fatalf("Segment = %d bytes, %v", len(seg), err)
	}
	if r.Cached(ts.key) || r.Stats().CachedBytes != 0 {
		t.Fatal("Segment cached a segment larger than MaxCachedSegment")
	}
}

func TestSegmentIsCached(t *testing.T) {
	store, c := newStore(t), newCodec(t)
	ts := putSegment(t, store, c, "q/seg", 4, 100)
	r := NewReader(store, ReaderOptions{})
	for range 2 {
		seg, err := r.Segment(t.Context(), ts.key)
		if err != nil || string(seg) != string(ts.data) {
			t.Fatalf("Segment = %d bytes, %v", len(seg), err)
		}
	}
	readRecord(t, r, c, ts, 3)
	wantStats(t, r, ReaderStats{Hits: 2, WholeReads: 1, CachedBytes: int64(len(ts.data))})
}

func TestEvictionKeepsCacheBound(t *testing.T) {
	store, c := newStore(t), newCodec(t)
	var segs []testSegment
	for i := range 12 {
		// Sizes vary from ~2 KiB to ~9 KiB.
		segs = append(segs, putSegment(t, store, c, fmt.Sprintf("q/seg-%02d", i), 2+i%4*2, 1000))
	}
	const limit = 20 << 10
	r := NewReader(store, ReaderOptions{CacheBytes: limit, MaxCachedSegment: limit})
	rng := rand.New(rand.NewPCG(1, 1))
	for range 500 {
		ts := segs[rng.IntN(len(segs))]
		readRecord(t, r, c, ts, rng.IntN(len(ts.entries)))
		if s := r.Stats(); s.CachedBytes > limit {
			t.Fatalf("CachedBytes %d exceeds CacheBytes %d", s.CachedBytes, limit)
		}
	}
	if s := r.Stats(); s.Evictions == 0 || s.Hits == 0 {
		t.Fatalf("Stats() = %+v, want both evictions and hits", s)
	}
}

func TestEvictsLeastRecentlyUsed(t *testing.T) {
	store, c := newStore(t), newCodec(t)
	a := putSegment(t, store, c, "q/a", 4, 1000)
	b := putSegment(t, store, c, "q/b", 4, 1000)
	d := putSegment(t, store, c, "q/d", 4, 1000)
	limit := int64(len(a.data) + len(b.data))
	r := NewReader(store, ReaderOptions{CacheBytes: limit, MaxCachedSegment: limit})
	for _, ts := range []testSegment{a, b} {
		readRecord(t, r, c, ts, 0)
		readRecord(t, r, c, ts, 1)
	}
	readRecord(t, r, c, a, 2) // a is now more recent than b
	readRecord(t, r, c, d, 0)
	readRecord(t, r, c, d, 1) // caching d evicts b
	if !r.Cached(a.key) || r.Cached(b.key) || !r.Cached(d.key) {
		t.Fatalf("cached a=%v b=%v d=%v, want a and d", r.Cached(a.key), r.Cached(b.key), r.Cached(d.key))
	}
	if s := r.Stats(); s.Evictions != 1 {
		t.Fatalf("Evictions = %d, want 1", s.Evictions)
	}
}

func TestForget(t *testing.T) {
	store, c := newStore(t), newCodec(t)
	ts := putSegment(t, store, c, "q/seg", 4, 100)
	r := NewReader(store, ReaderOptions{})
	readRecord(t, r, c, ts, 0)
	readRecord(t, r, c, ts, 1)
	r.Forget(ts.key)
	if r.Cached(ts.key) || r.Stats().CachedBytes != 0 {
		t.Fatal("segment still cached after Forget")
	}
	// Forget also cleared the touch: the next read is a first read again.
	readRecord(t, r, c, ts, 2)
	if s := r.Stats(); s.RangeReads != 2 || s.WholeReads != 1 || s.Evictions != 0 {
		t.Fatalf("Stats() = %+v, want 2 range reads, 1 whole read, no evictions", s)
	}
}

func TestNotFound(t *testing.T) {
	store := newStore(t)
	r := NewReader(store, ReaderOptions{})
	ref := segment.Ref{Offset: 5, Length: 30}
	for i := range 2 { // first read: ranged; second: stat and get
		if _, err := r.Frame(t.Context(), "q/missing", ref); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("Frame, read %d: err = %v, want blob.ErrNotFound", i+1, err)
		}
	}
	if store.stats.Load() != 1 {
		t.Fatalf("second read did not try the whole object")
	}
	if _, err := r.Segment(t.Context(), "q/missing"); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Segment err = %v, want blob.ErrNotFound", err)
	}
	if s := r.Stats(); s.CachedBytes != 0 {
		t.Fatalf("CachedBytes = %d after failed reads", s.CachedBytes)
	}
}

func TestBadRefs(t *testing.T) {
	store, c := newStore(t), newCodec(t)
	ts := putSegment(t, store, c, "q/seg", 4, 100)
	r := NewReader(store, ReaderOptions{})
	size := int64(len(ts.data))
	for _, ref := range []segment.Ref{{Offset: -1, Length: 10}, {Offset: 0, Length: 0}, {Offset: 1, Length: -5}, {Offset: 1 << 62, Length: 1 << 62}} {
		if _, err := r.Frame(t.Context(), ts.key, ref); !errors.Is(err, segment.ErrCorrupt) {
			t.Errorf("Frame(%+v) err = %v, want ErrCorrupt", ref, err)
		}
	}
	readRecord(t, r, c, ts, 0)
	readRecord(t, r, c, ts, 1)
	if !r.Cached(ts.key) {
		t.Fatal("segment not cached")
	}
	for _, ref := range []segment.Ref{{Offset: size - 10, Length: 11}, {Offset: size, Length: 1}, {Offset: size + 100, Length: 1}} {
		if _, err := r.Frame(t.Context(), ts.key, ref); !errors.Is(err, segment.ErrCorrupt) {
			t.Errorf("Frame(%+v) on the cached segment: err = %v, want ErrCorrupt", ref, err)
		}
	}
	if frame, err := r.Frame(t.Context(), ts.key, segment.Ref{Offset: size - 1, Length: 1}); err != nil || len(frame) != 1 || cap(frame) != 1 {
		t.Errorf("Frame(last byte) = len %d cap %d, %v", len(frame), cap(frame), err)
	}
}

func TestConcurrentFrames(t *testing.T) {
	store, c := newStore(t), newCodec(t)
	var segs []testSegment
	for i := range 8 {
		segs = append(segs, putSegment(t, store, c, fmt.Sprintf("q/seg-%d", i), 16, 500))
	}
	limit := int64(3 * len(segs[0].data))
	r := NewReader(store, ReaderOptions{CacheBytes: limit, MaxCachedSegment: limit})
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 2))
			for range 200 {
				ts := segs[rng.IntN(len(segs))]
				i := rng.IntN(len(ts.entries))
				if rng.IntN(10) == 0 {
					if _, err := r.Segment(t.Context(), ts.key); err != nil {
						t.Errorf("Segment: %v", err)
						return
					}
					continue
				}
				frame, err := r.Frame(t.Context(), ts.key, ts.entries[i].Ref)
				if err != nil {
					t.Errorf("Frame: %v", err)
					return
				}
				if _, err := c.DecodeFrame(ts.entries[i].ID, frame); err != nil {
					t.Errorf("DecodeFrame: %v", err)
					return
				}
				if rng.IntN(50) == 0 {
					r.Forget(ts.key)
				}
				if s := r.Stats(); s.CachedBytes > limit {
					t.Errorf("CachedBytes %d exceeds %d", s.CachedBytes, limit)
					return
				}
			}
		})
	}
	wg.Wait()
	t.Logf("%+v", r.Stats())
}

// blockGets makes store's Gets wait until release is closed.
func blockGets(store *countingStore) (release chan struct{}) {
	store.gate = make(chan struct{})
	store.entered = make(chan struct{}, 100)
	return store.gate
}

// waitForWaiters polls until n callers have joined the fetch of key.
func waitForWaiters(t *testing.T, r *Reader, key string, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		r.mu.Lock()
		f := r.flights[key]
		joined := f != nil && f.waiters >= n
		r.mu.Unlock()
		if joined {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d callers did not join the fetch of %q", n, key)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestConcurrentWholeFetchesCollapse(t *testing.T) {
	store, c := newStore(t), newCodec(t)
	ts := putSegment(t, store, c, "q/seg", 8, 100)
	r := NewReader(store, ReaderOptions{})
	readRecord(t, r, c, ts, 0) // touch it, so the next Frame fetches it whole
	release := blockGets(store)

	const callers = 10
	var wg sync.WaitGroup
	for g := range callers {
		wg.Go(func() {
			if g%2 == 0 {
				seg, err := r.Segment(t.Context(), ts.key)
				if err != nil || string(seg) != string(ts.data) {
					t.Errorf("Segment = %d bytes, %v", len(seg), err)
				}
				return
			}
			readRecord(t, r, c, ts, g%len(ts.entries))
		})
	}
	<-store.entered
	waitForWaiters(t, r, ts.key, callers-1)
	close(release)
	wg.Wait()
	if n := store.gets.Load(); n != 1 {
		t.Fatalf("store saw %d gets, want 1", n)
	}
	if s := r.Stats(); s.WholeReads != 1 || s.Hits != callers-1 {
		t.Fatalf("Stats() = %+v, want 1 whole read and %d hits", s, callers-1)
	}
}

// TestLeaderCancelDoesNotFailWaiters checks that callers sharing a fetch do
// not inherit the cancellation of the caller that started it.
func TestLeaderCancelDoesNotFailWaiters(t *testing.T) {
	store, c := newStore(t), newCodec(t)
	ts := putSegment(t, store, c, "q/seg", 4, 100)
	r := NewReader(store, ReaderOptions{})
	release := blockGets(store)

	ctx, cancel := context.WithCancel(t.Context())
	leaderErr := make(chan error, 1)
	go func() {
		_, err := r.Segment(ctx, ts.key)
		leaderErr <- err
	}()
	<-store.entered
	waiterErr := make(chan error, 1)
	go func() {
		_, err := r.Segment(t.Context(), ts.key)
		waiterErr <- err
	}()
	waitForWaiters(t, r, ts.key, 1)
	cancel()
	if err := <-leaderErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("leader err = %v, want context.Canceled", err)
	}
	<-store.entered // the waiter retried as the new leader
	close(release)
	if err := <-waiterErr; err != nil {
		t.Fatalf("waiter err = %v, want success", err)
	}
	if !r.Cached(ts.key) {
		t.Fatal("segment not cached after the retried fetch")
	}
}

func TestForgetDuringFetchDoesNotCache(t *testing.T) {
	store, c := newStore(t), newCodec(t)
	ts := putSegment(t, store, c, "q/seg", 4, 100)
	r := NewReader(store, ReaderOptions{})
	release := blockGets(store)
	done := make(chan error, 1)
	go func() {
		_, err := r.Segment(t.Context(), ts.key)
		done <- err
	}()
	<-store.entered
	r.Forget(ts.key)
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("Segment: %v", err)
	}
	if r.Cached(ts.key) {
		t.Fatal("a fetch that was in flight during Forget was cached")
	}
}

func TestReaderOptionDefaults(t *testing.T) {
	r := NewReader(newStore(t), ReaderOptions{})
	if r.cache.limit != 64<<20 || r.maxCached != 16<<20 {
		t.Errorf("defaults: CacheBytes %d, MaxCachedSegment %d", r.cache.limit, r.maxCached)
	}
	r = NewReader(newStore(t), ReaderOptions{CacheBytes: 100, MaxCachedSegment: 1000})
	if r.maxCached != 100 {
		t.Errorf("MaxCachedSegment above CacheBytes: got %d, want 100", r.maxCached)
	}
}

func TestTouchSetIsBounded(t *testing.T) {
	s := newTouchSet(3)
	for i := range 5 {
		s.add(fmt.Sprint(i), unknownSize)
	}
	s.add("2", 99) // refresh 2: the oldest is now 3
	s.add("5", unknownSize)
	for key, want := range map[string]bool{"0": false, "1": false, "2": true, "3": false, "4": true, "5": true} {
		if _, ok := s.lookup(key); ok != want {
			t.Errorf("lookup(%q) = %v, want %v", key, ok, want)
		}
	}
	if size, _ := s.lookup("2"); size != 99 || len(s.items) != 3 || s.order.Len() != 3 {
		t.Errorf("size %d, %d items, %d in order", size, len(s.items), s.order.Len())
	}
}

// CachedFrame answers from the cache alone: before the segment is cached
// it says so without a request, after it serves the frame.
func TestCachedFrameNeverFetches(t *testing.T) {
	store, c := newStore(t), newCodec(t)
	ts := putSegment(t, store, c, "q/seg", 4, 100)
	r := NewReader(store, ReaderOptions{})
	if _, ok, err := r.CachedFrame(ts.key, ts.entries[1].Ref); ok || err != nil {
		t.Fatalf("CachedFrame before caching = %v, %v; want not cached", ok, err)
	}
	wantStats(t, r, ReaderStats{})
	if _, err := r.Segment(t.Context(), ts.key); err != nil {
		t.Fatal(err)
	}
	frame, ok, err := r.CachedFrame(ts.key, ts.entries[1].Ref)
	if !ok || err != nil {
		t.Fatalf("CachedFrame after caching = %v, %v", ok, err)
	}
	if got, err := c.DecodeFrame(ts.entries[1].ID, frame); err != nil || string(got) != string(ts.payloads[1]) {
		t.Fatalf("cached frame decodes to %d bytes, %v", len(got), err)
	}
	past := segment.Ref{Offset: int64(len(ts.data)) - 1, Length: 10}
	if _, ok, err := r.CachedFrame(ts.key, past); !ok || !errors.Is(err, segment.ErrCorrupt) {
		t.Fatalf("CachedFrame past the end = %v, %v; want ErrCorrupt", ok, err)
	}
	wantStats(t, r, ReaderStats{Hits: 2, WholeReads: 1, CachedBytes: int64(len(ts.data))})
}
