package local_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/local"
)

func openTemp(t *testing.T) *local.Store {
	t.Helper()
	s, err := local.Open(filepath.Join(t.TempDir(), "kv"), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func mustUpdate(t *testing.T, s kv.Store, fn func(tx kv.Txn) error) {
	t.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

func valueOf(t *testing.T, s kv.Store, key []byte) string {
	t.Helper()
	var v []byte
	err := s.View(context.Background(), func(r kv.Reader) error {
		var err error
		v, err = r.Get(context.Background(), key)
		return err
	})
	if errors.Is(err, kv.ErrNotFound) {
		return "<none>"
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(v)
}

// A key Set once per life and deleted with DeleteSetOnce stays deleted
// through flushes and compactions, and the transaction that deletes it
// no longer reads it.
func TestDeleteSetOnce(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	key := []byte("v/1")
	for round, value := range []string{"first", "second"} {
		mustUpdate(t, s, func(tx kv.Txn) error { return tx.Set(key, []byte(value)) })
		if round == 1 {
			if err := s.Compact(ctx); err != nil { // the Set in the bottom level
				t.Fatal(err)
			}
		}
		mustUpdate(t, s, func(tx kv.Txn) error {
			if err := kv.DeleteSetOnce(tx, key); err != nil {
				return err
			}
			if _, err := tx.Get(ctx, key); !errors.Is(err, kv.ErrNotFound) {
				t.Errorf("round %d: read in the deleting txn: %v, want not found", round, err)
			}
			got, err := tx.Scan(ctx, []byte("v/"), []byte("v0"), 0)
			if len(got) != 0 || err != nil {
				t.Errorf("round %d: scan in the deleting txn: %d keys, %v", round, len(got), err)
			}
			return nil
		})
		if err := s.Compact(ctx); err != nil {
			t.Fatal(err)
		}
		if got := valueOf(t, s, key); got != "<none>" {
			t.Fatalf("round %d: %q after DeleteSetOnce and a compaction", round, got)
		}
	}
}

// Why DeleteSetOnce is only for keys Set once per life: over a key Set
// twice it removes the newer value only, and a flush brings the older one
// back; the store logs the misuse when a flush meets it.
func TestDeleteSetOnceOverTwoSetsBringsTheOldValueBack(t *testing.T) {
	ctx := context.Background()
	var logged bytes.Buffer
	s, err := local.Open(filepath.Join(t.TempDir(), "kv"), local.Options{Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	key := []byte("v/1")
	mustUpdate(t, s, func(tx kv.Txn) error { return tx.Set(key, []byte("old")) })
	mustUpdate(t, s, func(tx kv.Txn) error { return tx.Set(key, []byte("new")) })
	mustUpdate(t, s, func(tx kv.Txn) error { return kv.DeleteSetOnce(tx, key) })
	if err := s.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	if got := valueOf(t, s, key); got != "old" {
		t.Fatalf("%q after a DeleteSetOnce over two Sets, want the old value back", got)
	}
	if !strings.Contains(logged.String(), "nondeterministic SINGLEDEL") {
		t.Fatalf("misuse not logged; log:\n%s", logged.String())
	}
}
