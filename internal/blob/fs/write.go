package fs

import (
	"context"
	"errors"
	"fmt"
	iofs "io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/sluice-mq/sluice/internal/blob"
)

// placeAttempts bounds retries when a Delete from another process prunes a
// parent directory between its creation and the rename into it.
const placeAttempts = 5

// Put implements blob.Store: the data is written to a temp file, synced and
// renamed into place, so readers see the old object or the new one.
func (s *Store) Put(ctx context.Context, key string, data []byte) error {
	if err := blob.ValidateKey(key); err != nil {
		return fmt.Errorf("fs: put: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("fs: put %q: %w", key, err)
	}
	tmp, err := s.writeTemp(data)
	if err != nil {
		return fmt.Errorf("fs: put %q: %w", key, err)
	}
	if err := s.moveIntoPlace(tmp, key); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("fs: put %q: %w", key, explainConflict(err))
	}
	return nil
}

// writeTemp stores data durably in a new temp file and returns its path.
func (s *Store) writeTemp(data []byte) (string, error) {
	f, err := os.CreateTemp(s.temp, "put-*")
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

func (s *Store) moveIntoPlace(tmp, key string) error {
	s.dirs.RLock()
	defer s.dirs.RUnlock()
	dst := s.objectPath(key)
	for attempt := 1; ; attempt++ {
		err := s.makeParents(key)
		if err == nil {
			err = os.Rename(tmp, dst)
		}
		if err == nil {
			break
		}
		if !errors.Is(err, iofs.ErrNotExist) || attempt == placeAttempts {
			return err
		}
	}
	// The rename is only durable once the directory entry is synced. If the
	// directory is gone, a Delete already removed the new object: that
	// Delete simply came after this Put.
	if err := syncDir(filepath.Dir(dst)); err != nil && !errors.Is(err, iofs.ErrNotExist) {
		return err
	}
	return nil
}

// makeParents creates the directories above key's file and syncs the
// parent of each one it creates, so the new path survives a crash.
func (s *Store) makeParents(key string) error {
	parent := path.Dir(key)
	if parent == "." {
		return nil
	}
	dir := s.objects
	var created []string
	for _, elem := range strings.Split(parent, "/") {
		sub := filepath.Join(dir, elem)
		err := os.Mkdir(sub, 0o755)
		switch {
		case err == nil:
			created = append(created, dir)
		case !errors.Is(err, iofs.ErrExist):
			return err
		}
		dir = sub
	}
	for _, d := range created {
		if err := syncDir(d); err != nil {
			return err
		}
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if closeErr := d.Close(); err == nil {
		err = closeErr
	}
	return err
}
