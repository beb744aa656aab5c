package fs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sluice-mq/sluice/internal/blob"
)

// Delete implements blob.Store. Deleting a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := blob.ValidateKey(key); err != nil {
		return fmt.Errorf("fs: delete: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("fs: delete %q: %w", key, err)
	}
	p := s.objectPath(key)
	info, err := os.Lstat(p)
	switch {
	case isMissing(err):
		return nil
	case err != nil:
		return fmt.Errorf("fs: delete %q: %w", key, err)
	case info.IsDir():
		// Only keys below this one exist; there is no object to delete.
		return nil
	}
	if err := os.Remove(p); err != nil && !isMissing(err) {
		return fmt.Errorf("fs: delete %q: %w", key, err)
	}
	// Best effort: a lost sync can only resurrect the object after a crash.
	_ = syncDir(filepath.Dir(p))
	s.removeEmptyParents(filepath.Dir(p))
	return nil
}

// removeEmptyParents removes dir and its ancestors below objects/ while they
// are empty, so deleted prefixes do not leave a trail of directories. It
// stops at the first non-empty one.
func (s *Store) removeEmptyParents(dir string) {
	s.dirs.Lock()
	defer s.dirs.Unlock()
	for dir != s.objects && len(dir) > len(s.objects) {
		if os.Remove(dir) != nil {
			return
		}
		dir = filepath.Dir(dir)
	}
}
