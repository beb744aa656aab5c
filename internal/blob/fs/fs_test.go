package fs_test

import (
	"errors"
	"fmt"
	iofs "io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/internal/blob"
	"github.com/sluice-mq/sluice/internal/blob/blobtest"
	"github.com/sluice-mq/sluice/internal/blob/fs"
)

func openStore(t *testing.T, dir string) *fs.Store {
	t.Helper()
	s, err := fs.Open(dir)
	if err != nil {
		t.Fatalf("Open(%q): %v", dir, err)
	}
	return s
}

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store { return openStore(t, t.TempDir()) })
}

func TestOpenCreatesMissingDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "not", "yet")
	s := openStore(t, dir)
	if err := s.Put(t.Context(), "k", []byte("v")); err != nil {
		t.Fatalf("Put: %v", err)
	}
}

func TestOpenRegularFileFails(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := fs.Open(file)
	if err == nil || !strings.Contains(err.Error(), file) {
		t.Fatalf("Open(regular file) = %v, want an error naming %q", err, file)
	}
}

// TestOpenUnwritableDirFails: Open refuses a directory it cannot write,
// naming it. Permission bits would not do: tests run as root in CI and root
// ignores them, so each case uses something root cannot write either.
func TestOpenUnwritableDirFails(t *testing.T) {
	t.Run("file where tmp belongs", func(t *testing.T) {
		// Creating tmp/ fails: a regular file already has its name.
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "tmp"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := fs.Open(dir)
		if err == nil || !strings.Contains(err.Error(), dir) {
			t.Fatalf("Open(dir with a file named tmp) = %v, want an error naming %q", err, dir)
		}
	})
	t.Run("tmp is read-only", func(t *testing.T) {
		// tmp/ exists but no file can be created in it, so only the write
		// probe can tell: procfs refuses new files whoever asks.
		if info, err := os.Stat("/proc/self"); err != nil || !info.IsDir() {
			t.Skip("no /proc to stand in for a read-only directory")
		}
		dir := t.TempDir()
		if err := os.Symlink("/proc/self", filepath.Join(dir, "tmp")); err != nil {
			t.Fatal(err)
		}
		_, err := fs.Open(dir)
		if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "not writable") {
			t.Fatalf("Open(dir with a read-only tmp) = %v, want a not-writable error naming %q", err, dir)
		}
	})
}

// TestKeysStayInsideObjects tries to escape objects/ and then checks that
// every file in the tree is under objects/.
func TestKeysStayInsideObjects(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "store")
	s := openStore(t, dir)
	escapes := []string{
		"..", "../x", "../../x", "a/../../x", "a/../../../x", "/abs", "/" + filepath.Join(root, "abs"),
		"..\\x", "a\\..\\..\\x", "./x", "tmp/../../x", "a/b/../../../x",
	}
	for _, key := range escapes {
		if err := s.Put(t.Context(), key, []byte("escaped")); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("Put(%q) = %v, want blob.ErrInvalidKey", key, err)
		}
	}
	// Keys that merely look like paths elsewhere are fine: they stay inside.
	for _, key := range []string{"tmp/x", "objects/x", "..x", "x..", ".hidden"} {
		if err := s.Put(t.Context(), key, []byte("inside")); err != nil {
			t.Errorf("Put(%q): %v", key, err)
		}
	}
	objects := filepath.Join(dir, "objects") + string(filepath.Separator)
	filepath.WalkDir(root, func(path string, d iofs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasPrefix(path, objects) {
			t.Errorf("file outside objects/: %s", path)
		}
		return err
	})
}

func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestPutLeavesNoTempFiles(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	for _, key := range []string{"a", "a", "b/c", "b/c"} {
		if err := s.Put(t.Context(), key, []byte("data")); err != nil {
			t.Fatalf("Put(%q): %v", key, err)
		}
	}
	// A failed Put cleans up too: "a" is a file, so "a/x" cannot be created.
	if err := s.Put(t.Context(), "a/x", []byte("data")); err == nil {
		t.Errorf("Put(a/x) with object a present: want an error")
	}
	if names := tempFiles(t, dir); len(names) != 0 {
		t.Errorf("temp files left behind: %q", names)
	}
}

func TestTempFilesNotListed(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	if err := os.WriteFile(filepath.Join(dir, "tmp", "put-crashed"), []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(t.Context(), "real", []byte("x")); err != nil {
		t.Fatal(err)
	}
	page, err := s.List(t.Context(), blob.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Objects) != 1 || page.Objects[0].Key != "real" {
		t.Errorf("List = %+v, want only %q", page.Objects, "real")
	}
}

func TestOpenRemovesOnlyStaleTempFiles(t *testing.T) {
	dir := t.TempDir()
	openStore(t, dir)
	stale := filepath.Join(dir, "tmp", "put-stale")
	fresh := filepath.Join(dir, "tmp", "put-fresh")
	for _, f := range []string{stale, fresh} {
		if err := os.WriteFile(f, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	openStore(t, dir)
	if names := tempFiles(t, dir); !slices.Equal(names, []string{"put-fresh"}) {
		t.Errorf("temp files after Open = %q, want only put-fresh", names)
	}
}

func TestDeleteRemovesEmptyDirectories(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	for _, key := range []string{"a/b/c/obj", "a/keep"} {
		if err := s.Put(t.Context(), key, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Delete(t.Context(), "a/b/c/obj"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "objects", "a", "b")); !errors.Is(err, iofs.ErrNotExist) {
		t.Errorf("a/b still exists after deleting its only object (err %v)", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "objects", "a", "keep")); err != nil {
		t.Errorf("a/keep: %v", err)
	}
}

// TestKeyPrefixConflicts covers what S3 allows but a directory tree cannot
// hold: both "a" and "a/b". It must fail cleanly, not corrupt anything.
func TestKeyPrefixConflicts(t *testing.T) {
	s := openStore(t, t.TempDir())
	ctx := t.Context()
	if err := s.Put(ctx, "file", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "file/below", []byte("y")); err == nil {
		t.Error("Put(file/below) with object file present: want an error")
	}
	if _, err := s.Get(ctx, "file/below"); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Get(file/below) = %v, want blob.ErrNotFound", err)
	}
	if err := s.Put(ctx, "dir/obj", []byte("z")); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "dir", []byte("x")); err == nil {
		t.Error("Put(dir) with object dir/obj present: want an error")
	}
	for _, op := range []func() error{
		func() error { _, err := s.Get(ctx, "dir"); return err },
		func() error { _, err := s.Stat(ctx, "dir"); return err },
	} {
		if err := op(); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("reading directory dir as an object: %v, want blob.ErrNotFound", err)
		}
	}
	if err := s.Delete(ctx, "dir"); err != nil {
		t.Errorf("Delete(dir): %v", err)
	}
	if data, err := s.Get(ctx, "dir/obj"); err != nil || string(data) != "z" {
		t.Errorf("Get(dir/obj) = %q, %v after Delete(dir), want it untouched", data, err)
	}
}

// TestPutRacesDeletePruning has Deletes remove the directories that
// concurrent Puts are about to use; every Put must still succeed.
func TestPutRacesDeletePruning(t *testing.T) {
	s := openStore(t, t.TempDir())
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			key := fmt.Sprintf("shared/deep/dir/k%d", g)
			for range 100 {
				if err := s.Put(t.Context(), key, []byte("x")); err != nil {
					t.Errorf("Put(%q): %v", key, err)
					return
				}
				if err := s.Delete(t.Context(), key); err != nil {
					t.Errorf("Delete(%q): %v", key, err)
					return
				}
			}
		})
	}
	wg.Wait()
}
