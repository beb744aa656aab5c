package kv_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

func TestPrefixEnd(t *testing.T) {
	for _, tc := range []struct{ prefix, want []byte }{
		{[]byte("C/q/"), []byte("C/q0")},
		{[]byte{'a', 0xff}, []byte{'b'}},
		{[]byte{0xff, 0xff}, nil},
		{nil, nil},
	} {
		prefix := bytes.Clone(tc.prefix)
		if got := kv.PrefixEnd(prefix); !bytes.Equal(got, tc.want) || (tc.want == nil) != (got == nil) {
			t.Errorf("PrefixEnd(%q) = %q, want %q", tc.prefix, got, tc.want)
		}
		if !bytes.Equal(prefix, tc.prefix) {
			t.Errorf("PrefixEnd changed its argument to %q", prefix)
		}
	}
}

// TestForEachPage: pages in key order, only under the prefix, and fn may
// delete what it was given between pages.
func TestForEachPage(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		ctx := context.Background()
		if err := store.Update(ctx, func(tx kv.Txn) error {
			for _, k := range []string{"a/1", "a/2", "a/3", "a/4", "a/5", "b/1"} {
				if err := tx.Set([]byte(k), []byte{1}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		var sizes []int
		var seen []string
		err := kv.ForEachPage(ctx, store, []byte("a/"), 2, func(page []kv.KV) error {
			sizes = append(sizes, len(page))
			return store.Update(ctx, func(tx kv.Txn) error {
				for _, p := range page {
					seen = append(seen, string(p.Key))
					if err := tx.Delete(p.Key); err != nil {
						return err
					}
				}
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(sizes) != "[2 2 1]" || fmt.Sprint(seen) != "[a/1 a/2 a/3 a/4 a/5]" {
			t.Fatalf("pages %v, keys %v", sizes, seen)
		}
	})
}
