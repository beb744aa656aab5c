package engine_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

// scanRecorder is a store that records where every scan starts.
type scanRecorder struct {
	kv.Store
	mu     sync.Mutex
	starts [][]byte
}

func (s *scanRecorder) record(start []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.starts = append(s.starts, bytes.Clone(start))
}

func (s *scanRecorder) Update(ctx context.Context, fn func(tx kv.Txn) error) error {
	return s.Store.Update(ctx, func(tx kv.Txn) error { return fn(recordingTxn{tx, s}) })
}

func (s *scanRecorder) UpdateLazy(ctx context.Context, fn func(tx kv.Txn) error) error {
	return kv.UpdateLazy(ctx, s.Store, func(tx kv.Txn) error { return fn(recordingTxn{tx, s}) })
}

type recordingTxn struct {
	kv.Txn
	s *scanRecorder
}

func (t recordingTxn) Scan(ctx context.Context, start, end []byte, limit int) ([]kv.KV, error) {
	t.s.record(start)
	return t.Txn.Scan(ctx, start, end, limit)
}

// A FIFO group's scans of its order list start at its head, not at the
// list's first key: deleted messages leave tombstones at the front until
// the store compacts them, and a scan from the front steps over every one
// (with 4 groups under load, a third of the server's receive CPU).
func TestFIFOGroupScansStartAtTheHead(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		rec := &scanRecorder{Store: store}
		clock := newFakeClock()
		e := newEngine(t, rec, clock.Now)
		r := mustCreate(t, e, "scan.fifo", fifoAttrs)
		for i := range 30 {
			fifoSend(t, e, r, "grp", fmt.Sprint("d", i), fmt.Sprint("m", i))
		}
		rec.mu.Lock()
		rec.starts = nil
		rec.mu.Unlock()
		for i := range 10 {
			msgs := receive(t, e, r, 3)
			if len(msgs) != 3 || msgs[0].Body != fmt.Sprint("m", 3*i) {
				t.Fatalf("round %d: got %s", i, joinBodies(msgs))
			}
			deleteAll(t, e, r, msgs)
		}
		rec.mu.Lock()
		defer rec.mu.Unlock()
		front, scans := 0, 0
		for _, start := range rec.starts {
			i := bytes.Index(start, []byte("o/grp\x00"))
			if i < 0 {
				continue
			}
			scans++
			if seq := start[i+len("o/grp\x00"):]; len(seq) == 0 || bytes.Equal(seq, make([]byte, 8)) {
				front++
			}
		}
		if scans == 0 {
			t.Fatal("no scan of the group's order list was seen: the test no longer watches the right keys")
		}
		if front > 0 {
			t.Fatalf("%d of %d order-list scans started at the group's front, not at its head", front, scans)
		}
	})
}
