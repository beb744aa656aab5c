package tiering

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/sluice-mq/sluice/data-plane/tiering/segment"
	"github.com/sluice-mq/sluice/internal/blob"
	"github.com/sluice-mq/sluice/internal/blob/fs"
)

// countingStore counts requests to the store it wraps. When gate is set,
// Get signals entered and then waits for gate (or its context).
type countingStore struct {
	blob.Store
	gets, ranges, stats atomic.Int64
	gate                chan struct{}
	entered             chan struct{}
}

func (s *countingStore) Get(ctx context.Context, key string) ([]byte, error) {
	s.gets.Add(1)
	if s.gate != nil {
		s.entered <- struct{}{}
		select {
		case <-s.gate:
		case <-ctx.Done():
			return nil, fmt.Errorf("test store: get %q: %w", key, ctx.Err())
		}
	}
	return s.Store.Get(ctx, key)
}

func (s *countingStore) GetRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	s.ranges.Add(1)
	return s.Store.GetRange(ctx, key, off, n)
}

func (s *countingStore) Stat(ctx context.Context, key string) (blob.ObjectInfo, error) {
	s.stats.Add(1)
	return s.Store.Stat(ctx, key)
}

func newStore(t *testing.T) *countingStore {
	t.Helper()
	fsStore, err := fs.Open(t.TempDir())
	if err != nil {
		t.Fatalf("fs.Open: %v", err)
	}
	t.Cleanup(func() { fsStore.Close() })
	return &countingStore{Store: fsStore}
}

func newCodec(t *testing.T) *segment.Codec {
	t.Helper()
	c, err := segment.NewCodec()
	if err != nil {
		t.Fatalf("NewCodec: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// testSegment is a stored segment and what went into it.
type testSegment struct {
	key      string
	data     []byte
	entries  []segment.Entry
	payloads [][]byte
}

// putSegment stores a segment of n records of random (incompressible)
// payloads of payloadSize bytes under key.
func putSegment(t *testing.T, store blob.Store, c *segment.Codec, key string, n, payloadSize int) testSegment {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(len(key)), uint64(n)))
	b := c.NewBuilder()
	ts := testSegment{key: key}
	for i := range n {
		var id [16]byte
		copy(id[:], fmt.Sprintf("%s/%d", key, i))
		p := make([]byte, payloadSize)
		for j := range p {
			p[j] = byte(rng.Uint32())
		}
		ts.entries = append(ts.entries, segment.Entry{ID: id, Ref: b.Add(id, p)})
		ts.payloads = append(ts.payloads, p)
	}
	ts.data = b.Finish()
	if err := store.Put(t.Context(), key, ts.data); err != nil {
		t.Fatalf("Put %q: %v", key, err)
	}
	return ts
}

// readRecord reads record i of ts through r and checks it decodes to the
// payload that went in.
func readRecord(t *testing.T, r *Reader, c *segment.Codec, ts testSegment, i int) {
	t.Helper()
	e := ts.entries[i]
	frame, err := r.Frame(t.Context(), ts.key, e.Ref)
	if err != nil {
		t.Fatalf("Frame(%q, %d): %v", ts.key, i, err)
	}
	got, err := c.DecodeFrame(e.ID, frame)
	if err != nil {
		t.Fatalf("DecodeFrame(%q, %d): %v", ts.key, i, err)
	}
	if string(got) != string(ts.payloads[i]) {
		t.Fatalf("record %d of %q: payload differs", i, ts.key)
	}
}

func wantStats(t *testing.T, r *Reader, want ReaderStats) {
	t.Helper()
	if got := r.Stats(); got != want {
		t.Fatalf("Stats() = %+v, want %+v", got, want)
	}
}
