package fs

import (
	"errors"
	"fmt"
	iofs "io/fs"
	"syscall"

	"github.com/sluice-mq/sluice/internal/blob"
)

// isMissing reports whether err means "no such object". ENOTDIR covers a
// key whose parent element is itself an object ("a/b" when "a" is a file).
func isMissing(err error) bool {
	return errors.Is(err, iofs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

func notFound(op, key string) error {
	return fmt.Errorf("fs: %s %q: %w", op, key, blob.ErrNotFound)
}

// explainConflict says why a write failed when keys collide in the directory
// tree: a path cannot be both a file and a directory, so unlike S3 this
// driver cannot hold both "a" and "a/b".
func explainConflict(err error) error {
	if errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.EISDIR) || errors.Is(err, syscall.EEXIST) {
		return fmt.Errorf("key clashes with another key that is its path prefix or has it as one: %w", err)
	}
	return err
}
