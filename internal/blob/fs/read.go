package fs

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/sluice-mq/sluice/internal/blob"
)

// Get implements blob.Store.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	f, info, err := s.openObject(ctx, "get", key)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Objects are never modified in place (Put renames a new file over
	// them), so the size from this descriptor stays accurate.
	data := make([]byte, info.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, fmt.Errorf("fs: get %q: %w", key, err)
	}
	return data, nil
}

// GetRange implements blob.Store.
func (s *Store) GetRange(ctx context.Context, key string, offset, length int64) ([]byte, error) {
	if err := blob.ValidateRange(offset, length); err != nil {
		return nil, fmt.Errorf("fs: get range %q: %w", key, err)
	}
	f, info, err := s.openObject(ctx, "get range", key)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size := info.Size()
	if offset > size || length > size-offset {
		return nil, fmt.Errorf("fs: get range %q: bytes [%d, %d) run past the end of the %d-byte object",
			key, offset, offset+length, size)
	}
	data := make([]byte, length)
	// ReaderAt may report io.EOF alongside a full read that ends at EOF.
	if n, err := f.ReadAt(data, offset); n < len(data) {
		return nil, fmt.Errorf("fs: get range %q: %w", key, err)
	}
	return data, nil
}

// Stat implements blob.Store.
func (s *Store) Stat(ctx context.Context, key string) (blob.ObjectInfo, error) {
	if err := blob.ValidateKey(key); err != nil {
		return blob.ObjectInfo{}, fmt.Errorf("fs: stat: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return blob.ObjectInfo{}, fmt.Errorf("fs: stat %q: %w", key, err)
	}
	info, err := os.Stat(s.objectPath(key))
	switch {
	case isMissing(err):
		return blob.ObjectInfo{}, notFound("stat", key)
	case err != nil:
		return blob.ObjectInfo{}, fmt.Errorf("fs: stat %q: %w", key, err)
	case !info.Mode().IsRegular():
		// A directory holds keys below this one; it is not an object.
		return blob.ObjectInfo{}, notFound("stat", key)
	}
	return blob.ObjectInfo{Key: key, Size: info.Size(), LastModified: info.ModTime()}, nil
}

// openObject opens key's file for reading; the caller closes it.
func (s *Store) openObject(ctx context.Context, op, key string) (*os.File, os.FileInfo, error) {
	if err := blob.ValidateKey(key); err != nil {
		return nil, nil, fmt.Errorf("fs: %s: %w", op, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("fs: %s %q: %w", op, key, err)
	}
	f, err := os.Open(s.objectPath(key))
	if isMissing(err) {
		return nil, nil, notFound(op, key)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("fs: %s %q: %w", op, key, err)
	}
	info, err := f.Stat()
	if err == nil && !info.Mode().IsRegular() {
		f.Close()
		return nil, nil, notFound(op, key)
	}
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("fs: %s %q: %w", op, key, err)
	}
	return f, info, nil
}
