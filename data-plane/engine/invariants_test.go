//go:build sluice_invariants

package engine

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/internal/blob"
	blobfs "github.com/sluice-mq/sluice/internal/blob/fs"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

// invEnv is an engine whose store holds a standard queue with cold and hot
// messages, one of them in flight, and a FIFO queue with two groups.
type invEnv struct {
	e      *Engine
	blobs  blob.Store
	std    did
	fifo   did
	stdQ   string // the queues' names in violations
	fifoQ  string
	cold   msgID // a cold message of the standard queue
	hot    msgID // a hot message of the standard queue
	member msgID // a FIFO message
}

func newInvEnv(t *testing.T, store kv.Store) *invEnv {
	t.Helper()
	ctx := t.Context()
	blobs, err := blobfs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var now atomic.Int64
	now.Store(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC).UnixMilli())
	clock := func() time.Time { return time.UnixMilli(now.Load()) }
	e, err := New(store, Options{Clock: clock, ReceiptKey: []byte("0123456789abcdef0123456789abcdef"),
		Tiering: TieringOptions{Blobs: blobs, SegmentRecords: 4}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	std := queues.Ref{Account: "111122223333", Region: "us-east-1", Name: "std"}
	fifo := queues.Ref{Account: "111122223333", Region: "us-east-1", Name: "q.fifo"}
	if _, err := e.Catalog().Create(ctx, std, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Catalog().Create(ctx, fifo, map[string]string{queues.AttrFifoQueue: "true", queues.AttrContentBasedDeduplication: "true"}, nil); err != nil {
		t.Fatal(err)
	}
	send := func(ref queues.Ref, n int, group string) {
		for i := range n {
			in := SendInput{Body: fmt.Sprintf("%s %s %d", ref.Name, group, i)}
			if group != "" {
				in.MessageGroupID = &group
			}
			if _, err := e.SendMessage(ctx, ref, in); err != nil {
				t.Fatal(err)
			}
		}
	}
	send(std, 8, "")
	send(fifo, 3, "a")
	send(fifo, 2, "b")
	if err := e.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	now.Add((11 * time.Minute).Milliseconds()) // past the hot window
	if err := e.Tier(ctx); err != nil {
		t.Fatal(err)
	}
	send(std, 3, "")
	zero := 0
	for _, ref := range []queues.Ref{std, fifo} {
		if _, err := e.ReceiveMessage(ctx, ref, ReceiveInput{MaxNumberOfMessages: 2, WaitTimeSeconds: &zero}); err != nil {
			t.Fatal(err)
		}
	}
	env := &invEnv{e: e, blobs: blobs, stdQ: "111122223333/us-east-1/std", fifoQ: "111122223333/us-east-1/q.fifo"}
	err = e.store.View(ctx, func(r kv.Reader) error {
		for _, q := range []struct {
			ref queues.Ref
			d   *did
		}{{std, &env.std}, {fifo, &env.fifo}} {
			rec, err := queues.Load(ctx, r, q.ref)
			if err != nil {
				return err
			}
			*q.d = rec.DID()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var cold, hot, member bool
	env.forEachRecord(t, env.std, func(id msgID, rec *messageRecord) {
		if rec.Cold != nil && !cold {
			env.cold, cold = id, true
		}
		if rec.Cold == nil && !hot {
			env.hot, hot = id, true
		}
	})
	env.forEachRecord(t, env.fifo, func(id msgID, _ *messageRecord) { env.member, member = id, true })
	if !cold || !hot || !member {
		t.Fatalf("setup: cold %v, hot %v, FIFO %v", cold, hot, member)
	}
	if err := env.check(ctx); err != nil {
		t.Fatalf("invariants fail before any corruption: %v", err)
	}
	return env
}

func (env *invEnv) forEachRecord(t *testing.T, d did, fn func(msgID, *messageRecord)) {
	t.Helper()
	prefix := append(dataPrefix(d), "m/"...)
	err := env.e.store.View(t.Context(), func(r kv.Reader) error {
		kvs, err := r.Scan(t.Context(), prefix, kv.PrefixEnd(prefix), 0)
		for _, p := range kvs {
			var id msgID
			copy(id[:], p.Key[len(prefix):])
			rec, err := decodeMessage(p.Value)
			if err != nil {
				return err
			}
			fn(id, rec)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (env *invEnv) record(t *testing.T, d did, id msgID) *messageRecord {
	t.Helper()
	var rec *messageRecord
	err := env.e.store.View(t.Context(), func(r kv.Reader) (err error) {
		rec, err = getMessage(t.Context(), r, d, id)
		return err
	})
	if err != nil || rec == nil {
		t.Fatalf("record %x: %v, %v", id, rec, err)
	}
	return rec
}

func (env *invEnv) update(t *testing.T, fn func(tx kv.Txn) error) {
	t.Helper()
	if err := env.e.store.Update(t.Context(), fn); err != nil {
		t.Fatal(err)
	}
}

func (env *invEnv) check(ctx context.Context) error {
	if err := env.e.Flush(ctx); err != nil {
		return err
	}
	return checkInvariants(ctx, env.e.store, env.e.opts.Shards, env.blobs)
}

// Each named check reports a store corrupted by hand, with the queue and
// the key.
func TestInvariantsCatchCorruption(t *testing.T) {
	cases := []struct {
		name, check string
		corrupt     func(t *testing.T, env *invEnv) (queue string, key []byte)
	}{{
		name: "index entry deleted", check: invIndexMatchesRecord,
		corrupt: func(t *testing.T, env *invEnv) (string, []byte) {
			rec := env.record(t, env.std, env.hot)
			env.update(t, func(tx kv.Txn) error { return tx.Delete(indexKey(env.std, rec.Shard, rec.VisibleAt, env.hot)) })
			return env.stdQ, messageKey(env.std, env.hot)
		},
	}, {
		name: "stray index entry", check: invIndexMatchesRecord,
		corrupt: func(t *testing.T, env *invEnv) (string, []byte) {
			stray := indexKey(env.std, 3, 12345, msgID{0xde, 0xad})
			env.update(t, func(tx kv.Txn) error { return tx.Set(stray, []byte{entrySent}) })
			return env.stdQ, stray
		},
	}, {
		name: "second index entry", check: invIndexMatchesRecord,
		corrupt: func(t *testing.T, env *invEnv) (string, []byte) {
			rec := env.record(t, env.std, env.cold)
			extra := indexKey(env.std, rec.Shard, rec.VisibleAt+1, env.cold)
			env.update(t, func(tx kv.Txn) error { return tx.Set(extra, []byte{entrySent}) })
			return env.stdQ, extra
		},
	}, {
		name: "FIFO group entry deleted", check: invIndexMatchesRecord,
		corrupt: func(t *testing.T, env *invEnv) (string, []byte) {
			rec := env.record(t, env.fifo, env.member)
			var g *groupRecord
			err := env.e.store.View(t.Context(), func(r kv.Reader) error {
				v, err := r.Get(t.Context(), groupKey(env.fifo, rec.Group))
				if err == nil {
					g, err = decodeGroup(v)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			env.update(t, func(tx kv.Txn) error {
				return tx.Delete(indexKey(env.fifo, groupShard(rec.Group, env.e.opts.Shards), g.at, g.head))
			})
			return env.fifoQ, groupKey(env.fifo, rec.Group)
		},
	}, {
		name: "order entry deleted", check: invFIFOOrder,
		corrupt: func(t *testing.T, env *invEnv) (string, []byte) {
			rec := env.record(t, env.fifo, env.member)
			env.update(t, func(tx kv.Txn) error { return tx.Delete(orderKey(env.fifo, rec.Group, rec.Seq)) })
			return env.fifoQ, messageKey(env.fifo, env.member)
		},
	}, {
		name: "count record changed", check: invCountsEqualRecords,
		corrupt: func(t *testing.T, env *invEnv) (string, []byte) {
			env.update(t, func(tx kv.Txn) error { return tx.Set(countKey(env.std, "elsewhere"), delta{1, 10, 0}.encode()) })
			return env.stdQ, countPrefix(env.std)
		},
	}, {
		name: "cold record names a missing segment", check: invColdHasSegment,
		corrupt: func(t *testing.T, env *invEnv) (string, []byte) {
			rec := env.record(t, env.std, env.cold)
			rec.Cold.seg.id++
			env.update(t, func(tx kv.Txn) error { return tx.Set(messageKey(env.std, env.cold), rec.encodeCold()) })
			return env.stdQ, messageKey(env.std, env.cold)
		},
	}, {
		name: "segment object deleted", check: invColdHasSegment,
		corrupt: func(t *testing.T, env *invEnv) (string, []byte) {
			rec := env.record(t, env.std, env.cold)
			if err := env.blobs.Delete(t.Context(), segmentBlobKey(env.std, rec.Cold.seg)); err != nil {
				t.Fatal(err)
			}
			return env.stdQ, segmentKey(env.std, rec.Cold.seg)
		},
	}, {
		name: "live cold message marked dead", check: invColdHasSegment,
		corrupt: func(t *testing.T, env *invEnv) (string, []byte) {
			rec := env.record(t, env.std, env.cold)
			env.update(t, func(tx kv.Txn) error { return tx.Set(deadKey(env.std, rec.Cold.seg, env.cold), present) })
			return env.stdQ, messageKey(env.std, env.cold)
		},
	}}
	for _, d := range kvtest.Drivers() {
		for _, tc := range cases {
			t.Run(d.Name+"/"+strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
				env := newInvEnv(t, d.Open(t))
				queue, key := tc.corrupt(t, env)
				err := env.check(t.Context())
				want := fmt.Sprintf("invariant %s: queue %s: key %s:", tc.check, queue, formatKey(key))
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("after %s: got %v\nwant a violation starting %q", tc.name, err, want)
				}
				t.Logf("%v", err)
			})
		}
	}
}

// A purged queue's old data range is the sweeper's: it is not checked.
func TestInvariantsSkipGarbage(t *testing.T) {
	env := newInvEnv(t, kvtest.OpenLocal(t))
	env.update(t, func(tx kv.Txn) error {
		if err := tx.Set(countKey(env.std, "elsewhere"), delta{1, 10, 0}.encode()); err != nil {
			return err
		}
		return tx.Set(queues.GarbageKey(env.std), []byte{1})
	})
	if err := env.check(t.Context()); err != nil {
		t.Fatalf("a garbage data range was checked: %v", err)
	}
}
