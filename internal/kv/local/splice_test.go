package local_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/cockroachdb/pebble/v2"

	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/local"
)

// reads returns key's value as every read sees it: Get, BatchGet, Scan,
// ReverseScan and LockSkip.
func reads(t *testing.T, r kv.Reader, key []byte) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	v, err := r.Get(ctx, key)
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	out = append(out, string(v))
	m, err := r.BatchGet(ctx, [][]byte{key})
	if err != nil {
		t.Fatalf("batch get: %v", err)
	}
	out = append(out, string(m[string(key)]))
	for _, scan := range []func(context.Context, []byte, []byte, int) ([]kv.KV, error){r.Scan, r.ReverseScan} {
		kvs, err := scan(ctx, key, kv.PrefixEnd(key), 0)
		if err != nil || len(kvs) != 1 {
			t.Fatalf("scan: %v, %d pairs", err, len(kvs))
		}
		out = append(out, string(kvs[0].Value))
	}
	if tx, ok := r.(kv.Txn); ok {
		locked, err := tx.LockSkip(ctx, [][]byte{key})
		if err != nil || len(locked) != 1 {
			t.Fatalf("lock skip: %v, %d pairs", err, len(locked))
		}
		out = append(out, string(locked[0].Value))
	}
	return out
}

func mustRead(t *testing.T, r kv.Reader, key []byte, want string) {
	t.Helper()
	for i, got := range reads(t, r, key) {
		if got != want {
			t.Fatalf("read %d: %q, want %q", i, got, want)
		}
	}
}

// A splice is read back by every read, in its own transaction and after,
// from the memtable and from sstables, stacked on other splices, and a
// flush or compaction folds it into the value without changing it.
func TestSpliceReadsEverywhere(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	key := []byte("record")
	update := func(fn func(tx kv.Txn) error) {
		t.Helper()
		if err := s.Update(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	view := func(want string) {
		t.Helper()
		if err := s.View(ctx, func(r kv.Reader) error { mustRead(t, r, key, want); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	splice := func(tx kv.Txn, at, remove int, insert string) {
		t.Helper()
		sp, ok := tx.(kv.Splicer)
		if !ok {
			t.Fatal("a new store's transactions do not splice")
		}
		if err := sp.Splice(key, at, remove, []byte(insert)); err != nil {
			t.Fatal(err)
		}
	}
	update(func(tx kv.Txn) error {
		if err := tx.Set(key, []byte("s0|body")); err != nil {
			return err
		}
		splice(tx, 0, 2, "s1") // over a Set in the same batch
		mustRead(t, tx, key, "s1|body")
		return nil
	})
	view("s1|body")
	update(func(tx kv.Txn) error { splice(tx, 0, 2, "state2"); return nil }) // over a memtable value
	view("state2|body")
	if err := s.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	view("state2|body")
	update(func(tx kv.Txn) error {
		splice(tx, 0, 6, "s3") // over an sstable value
		mustRead(t, tx, key, "s3|body")
		splice(tx, 0, 2, "s4") // over its own splice
		mustRead(t, tx, key, "s4|body")
		return nil
	})
	update(func(tx kv.Txn) error { splice(tx, 3, 4, "BODY"); return nil })
	view("s4|BODY")
	if err := s.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	view("s4|BODY")
	// A Set replaces the value and every splice below it; a Delete removes both.
	update(func(tx kv.Txn) error { return tx.Set(key, []byte("new")) })
	view("new")
	update(func(tx kv.Txn) error { splice(tx, 0, 1, "N"); return tx.Delete(key) })
	if err := s.View(ctx, func(r kv.Reader) error {
		_, err := r.Get(ctx, key)
		if err == nil {
			t.Fatal("a deleted value read back")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// A store made before splices names Pebble's default merge operator, and
// Pebble opens it only under that name: it opens and works as before,
// without splices, and so does every later open.
func TestStoreMadeBeforeSplicesOpens(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "kv")
	db, err := pebble.Open(dir, &pebble.Options{FormatMajorVersion: pebble.FormatNewest})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Set([]byte("k"), []byte("v"), pebble.Sync); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		s, err := local.Open(dir, local.Options{})
		if err != nil {
			t.Fatalf("open a store made before splices: %v", err)
		}
		if err := s.Update(context.Background(), func(tx kv.Txn) error {
			if _, ok := tx.(kv.Splicer); ok {
				t.Error("a store under Pebble's default merge operator offers splices")
			}
			mustRead(t, tx, []byte("k"), "v")
			return tx.Set([]byte("z"), []byte("v2"))
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// A new store keeps splicing across opens.
	dir = filepath.Join(t.TempDir(), "kv")
	for range 2 {
		s, err := local.Open(dir, local.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Update(context.Background(), func(tx kv.Txn) error {
			if _, ok := tx.(kv.Splicer); !ok {
				t.Error("a new store does not splice")
			}
			return tx.Set([]byte("k"), []byte("v"))
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
