package local_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/local"
)

// What a read returns belongs to the caller: reading a transaction's own
// writes returns slices of the batch's memory in Pebble, which the next
// transaction (a pooled batch) writes over, so every read must copy. The
// slices read in one transaction must not change when the next writes the
// same keys with other values.
func TestReadsOutliveTheirBatch(t *testing.T) {
	ctx := context.Background()
	s, err := local.Open(t.TempDir(), local.Options{Sync: local.SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	keys := make([][]byte, 10)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "k/%02d", i)
	}
	value := func(round, i int) []byte { return bytes.Repeat([]byte{byte('a' + round)}, 20+i) }
	type read struct {
		name string
		kvs  []kv.KV
	}
	var reads []read
	for round := range 3 {
		err := s.Update(ctx, func(tx kv.Txn) error {
			for i, k := range keys {
				if err := tx.Set(k, value(round, i)); err != nil {
					return err
				}
			}
			if round > 0 {
				return nil
			}
			scanned, err := tx.Scan(ctx, []byte("k/"), []byte("k0"), 0)
			if err != nil {
				return err
			}
			reversed, err := tx.ReverseScan(ctx, []byte("k/"), []byte("k0"), 0)
			if err != nil {
				return err
			}
			locked, err := tx.LockSkip(ctx, keys)
			if err != nil {
				return err
			}
			got, err := tx.BatchGet(ctx, keys)
			if err != nil {
				return err
			}
			var batch []kv.KV
			for _, k := range keys {
				batch = append(batch, kv.KV{Key: k, Value: got[string(k)]})
			}
			one, err := tx.Get(ctx, keys[3])
			if err != nil {
				return err
			}
			reads = append(reads, read{"Scan", scanned}, read{"LockSkip", locked}, read{"BatchGet", batch},
				read{"Get", []kv.KV{{Key: keys[3], Value: one}}})
			for i, j := 0, len(reversed)-1; i < j; i, j = i+1, j-1 {
				reversed[i], reversed[j] = reversed[j], reversed[i]
			}
			reads = append(reads, read{"ReverseScan", reversed})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range reads {
		for _, p := range r.kvs {
			var i int
			if _, err := fmt.Sscanf(string(p.Key), "k/%02d", &i); err != nil {
				t.Fatalf("%s: key %q changed", r.name, p.Key)
			}
			if !bytes.Equal(p.Value, value(0, i)) {
				t.Fatalf("%s: value of %s changed to %q", r.name, p.Key, p.Value)
			}
		}
	}
}
