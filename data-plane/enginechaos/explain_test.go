package enginechaos

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/e2e/chaos/history"
	"github.com/sluice-mq/sluice/internal/kv"
)

// explainLost logs, for each message r reports lost, every key the store
// holds that names its id, whether its record is locked, and every
// queue's stored scan floors: a lost
// message still stored below a floor, or one whose index entry is gone,
// points at different bugs.
func explainLost(t *testing.T, store kv.Store, r history.Report) {
	t.Helper()
	var ids [][]byte
	for _, a := range r.Anomalies {
		if a.Kind != history.Lost {
			continue
		}
		for _, op := range a.Ops {
			for _, m := range op.Msgs {
				if id, err := uuid.Parse(m.MessageID); err == nil && m.Token == a.Token {
					ids = append(ids, id[:])
					t.Logf("lost %s: id %s, sent at %s", a.Token, m.MessageID, clockText(int64(binary.BigEndian.Uint64(append([]byte{0, 0}, id[:6]...)))))
				}
			}
		}
	}
	if len(ids) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// One transaction, rolled back, reads everything and probes the lost
	// records' locks: a record another transaction still locks is skipped
	// by every claim until the lock's TTL runs out.
	errProbe := errors.New("probe only")
	err := store.Update(ctx, func(tx kv.Txn) error {
		kvs, err := tx.Scan(ctx, queueKeys, kv.PrefixEnd(queueKeys), 0)
		if err != nil {
			return err
		}
		for _, p := range kvs {
			d, rest := splitQueueKey(p.Key)
			if bytes.HasPrefix(rest, []byte("f/")) && len(p.Value) == 8 {
				t.Logf("floor %x shard %d: %s", d, rest[2], clockText(int64(binary.BigEndian.Uint64(p.Value))))
			}
			named := false
			for _, id := range ids {
				if !bytes.Contains(p.Key, id) {
					continue
				}
				named = true
				t.Logf("%x: %s", id, describeKey(rest, p.Value))
				if bytes.HasPrefix(rest, []byte("m/")) {
					locked, err := tx.LockSkip(ctx, [][]byte{p.Key})
					if err != nil {
						return err
					}
					t.Logf("%x: record locked by another transaction: %v", id, len(locked) == 0)
				}
			}
			// A FIFO message waits behind its group: every group record
			// and every index entry left, when few are.
			if !named && len(kvs) < 2000 && (bytes.HasPrefix(rest, []byte("g/")) || bytes.HasPrefix(rest, []byte("v/"))) {
				t.Logf("queue %x: %q %s", d, rest[:2], describeKey(rest, p.Value))
			}
		}
		return errProbe
	})
	if !errors.Is(err, errProbe) {
		t.Logf("explain lost messages: %v", err)
	}
}

// queueKeys prefixes every key of every queue's data (engine/keys.go).
var queueKeys = []byte("Q/")

// splitQueueKey splits a queue data key into its data id and the rest.
func splitQueueKey(key []byte) (did, rest []byte) {
	n := len(queueKeys) + queues.DataIDLen
	if len(key) <= n {
		return nil, nil
	}
	return key[len(queueKeys):n], key[n+1:]
}

func clockText(ms int64) string { return time.UnixMilli(ms).Format("15:04:05.000") }

func describeKey(rest, value []byte) string {
	var b strings.Builder
	switch {
	case bytes.HasPrefix(rest, []byte("v/")) && len(rest) > 4+8:
		at := int64(binary.BigEndian.Uint64(rest[4:]))
		fmt.Fprintf(&b, "index entry, shard %d, visible at %s", rest[2], clockText(at))
	case bytes.HasPrefix(rest, []byte("m/")) && len(value) > 0 && (value[0] == 2 || value[0] == 3):
		st := value[1:]
		var f [5]int64
		for i := range f {
			v, n := binary.Varint(st)
			if i >= 3 {
				u, m := binary.Uvarint(st)
				v, n = int64(u), m
			}
			if n <= 0 {
				break
			}
			f[i], st = v, st[n:]
		}
		fmt.Fprintf(&b, "record: sent %s, first received %s, visible at %s, received %d times, generation %d", clockText(f[0]), clockText(f[1]), clockText(f[2]), f[3], f[4])
		if len(st) > 0 {
			fmt.Fprintf(&b, ", shard %d", st[0])
		}
	default:
		fmt.Fprintf(&b, "key %q", rest[:min(len(rest), 2)])
	}
	fmt.Fprintf(&b, ", value %d B: %x", len(value), value[:min(len(value), 48)])
	return b.String()
}
