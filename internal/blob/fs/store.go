// Package fs is a blob.Store over a local directory, for `sluice dev` and
// tests. Objects live under DIR/objects/<key>; writes are staged in DIR/tmp/
// so that no key name is reserved and listings never see partial files.
package fs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sluice-mq/sluice/internal/blob"
)

const (
	objectsDirName = "objects"
	tempDirName    = "tmp"

	// staleTempAge is how old a temp file must be before Open deletes it.
	// Younger ones may belong to another process using the same directory.
	staleTempAge = time.Hour
)

// Store is a blob.Store backed by a local directory.
type Store struct {
	objects string
	temp    string
	// dirs is held shared while a Put creates directories and renames
	// into them, and exclusively while a Delete prunes empty directories,
	// so this Store never removes a directory a Put is about to use.
	dirs sync.RWMutex
}

var _ blob.Store = (*Store)(nil)

// Open opens (creating it if needed) the store rooted at dir.
func Open(dir string) (*Store, error) {
	if info, err := os.Stat(dir); err == nil && !info.IsDir() {
		return nil, fmt.Errorf("fs: open %q: not a directory", dir)
	}
	s := &Store{
		objects: filepath.Join(dir, objectsDirName),
		temp:    filepath.Join(dir, tempDirName),
	}
	for _, d := range []string{s.objects, s.temp} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("fs: open %q: %w", dir, err)
		}
	}
	if err := s.checkWritable(); err != nil {
		return nil, fmt.Errorf("fs: open %q: directory is not writable: %w", dir, err)
	}
	s.removeStaleTemps()
	return s, nil
}

// Close implements blob.Store. The fs driver holds no resources.
func (s *Store) Close() error { return nil }

// objectPath maps a validated key to its file.
func (s *Store) objectPath(key string) string {
	return filepath.Join(s.objects, filepath.FromSlash(key))
}

func (s *Store) checkWritable() error {
	f, err := os.CreateTemp(s.temp, "probe-*")
	if err != nil {
		return err
	}
	name := f.Name()
	closeErr := f.Close()
	removeErr := os.Remove(name)
	return errors.Join(closeErr, removeErr)
}

// removeStaleTemps deletes temp files left behind by a crash. Best effort:
// leftovers only waste space, they are never visible as objects.
func (s *Store) removeStaleTemps() {
	entries, err := os.ReadDir(s.temp)
	if err != nil {
		return
	}
	for _, e := range entries {
		info, err := e.Info()
		if err == nil && time.Since(info.ModTime()) > staleTempAge {
			_ = os.Remove(filepath.Join(s.temp, e.Name()))
		}
	}
}
