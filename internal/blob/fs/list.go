package fs

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sluice-mq/sluice/internal/blob"
)

// List implements blob.Store. Keys come out in byte-wise order, the order
// S3 uses, even though the files are spread over a directory tree.
func (s *Store) List(ctx context.Context, opts blob.ListOptions) (blob.ListPage, error) {
	if err := ctx.Err(); err != nil {
		return blob.ListPage{}, fmt.Errorf("fs: list %q: %w", opts.Prefix, err)
	}
	pageSize := opts.PageSize()
	w := &treeWalk{
		ctx:        ctx,
		objects:    s.objects,
		prefix:     opts.Prefix,
		startAfter: opts.StartAfter,
		want:       pageSize + 1,
	}
	// Every key matching the prefix lies below the prefix's directory part.
	startDir := opts.Prefix[:strings.LastIndex(opts.Prefix, "/")+1]
	if startDir != "" && blob.ValidateKey(strings.TrimSuffix(startDir, "/")) != nil {
		// No valid key can start with this prefix, and walking it could
		// leave objects/ (think "../").
		return blob.ListPage{}, nil
	}
	if err := w.walk(startDir); err != nil {
		return blob.ListPage{}, fmt.Errorf("fs: list %q: %w", opts.Prefix, err)
	}
	return blob.NewPage(w.found, pageSize), nil
}

// treeWalk visits the object tree depth first in key order, skipping
// subtrees that cannot hold a wanted key, until it has found want objects.
type treeWalk struct {
	ctx        context.Context
	objects    string
	prefix     string
	startAfter string
	want       int
	found      []blob.ObjectInfo
}

// walk visits the directory holding the keys that start with dirKey ("" or
// ending in "/").
func (w *treeWalk) walk(dirKey string) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	entries, err := os.ReadDir(filepath.Join(w.objects, filepath.FromSlash(dirKey)))
	if isMissing(err) {
		return nil // absent prefix, or emptied and removed by a Delete
	}
	if err != nil {
		return err
	}
	for _, e := range sortByKey(entries) {
		if len(w.found) >= w.want {
			return nil
		}
		switch key := dirKey + e.name; {
		case e.entry.IsDir():
			if w.mayHoldWanted(key) {
				if err := w.walk(key); err != nil {
					return err
				}
			}
		case e.entry.Type().IsRegular():
			if err := w.visitFile(key, e.entry); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *treeWalk) visitFile(key string, entry os.DirEntry) error {
	if !strings.HasPrefix(key, w.prefix) || key <= w.startAfter || blob.ValidateKey(key) != nil {
		return nil
	}
	info, err := entry.Info()
	if isMissing(err) {
		return nil // deleted since ReadDir
	}
	if err != nil {
		return err
	}
	w.found = append(w.found, blob.ObjectInfo{Key: key, Size: info.Size(), LastModified: info.ModTime()})
	return nil
}

// mayHoldWanted reports whether the subtree of keys starting with dirKey
// can contain a key that has the prefix and sorts after startAfter.
func (w *treeWalk) mayHoldWanted(dirKey string) bool {
	prefixOK := strings.HasPrefix(dirKey, w.prefix) || strings.HasPrefix(w.prefix, dirKey)
	// Every key below dirKey starts with it, so all of them sort before
	// startAfter unless dirKey does, or startAfter itself is below dirKey.
	afterOK := dirKey > w.startAfter || strings.HasPrefix(w.startAfter, dirKey)
	return prefixOK && afterOK
}

type sortedEntry struct {
	name  string // entry name, with "/" appended for directories
	entry os.DirEntry
}

// sortByKey orders a directory's entries by the keys they stand for. A
// directory "a" stands for keys "a/...", so it sorts as "a/": after a file
// "a-c" ('-' < '/') but before a file "a0".
func sortByKey(entries []os.DirEntry) []sortedEntry {
	sorted := make([]sortedEntry, len(entries))
	for i, e := range entries {
		name := e.Name()
		if e.IsDir() {
			name += "/"
		}
		sorted[i] = sortedEntry{name: name, entry: e}
	}
	slices.SortFunc(sorted, func(a, b sortedEntry) int { return cmp.Compare(a.name, b.name) })
	return sorted
}
