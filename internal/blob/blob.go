// Package blob is the object-store interface the cold tier and billing
// export write through. Drivers: s3 (minio-go, any S3-compatible server) and
// fs (a local directory, for `sluice dev`).
package blob

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned (wrapped) by Get, GetRange and Stat when the object
// does not exist.
var ErrNotFound = errors.New("blob: object not found")

// ErrInvalidKey is returned (wrapped) for keys that are empty, absolute,
// contain "." or ".." path elements, empty elements, backslashes or NUL.
var ErrInvalidKey = errors.New("blob: invalid object key")

// ObjectInfo describes one stored object.
type ObjectInfo struct {
	Key          string
	Size         int64
	LastModified time.Time
}

// ListOptions selects one page of a listing in key order.
type ListOptions struct {
	Prefix     string // only keys that start with Prefix
	StartAfter string // only keys strictly greater than StartAfter
	Limit      int    // page size; <= 0 means the driver default (1000)
}

// ListPage is one page of a listing. Next is empty on the last page;
// otherwise pass it as StartAfter to fetch the following page.
type ListPage struct {
	Objects []ObjectInfo
	Next    string
}

// Store is an object store. Keys are slash-separated relative paths.
// Implementations are safe for concurrent use.
type Store interface {
	// Put stores data under key, replacing any previous object atomically:
	// readers see the old object or the new one, never a partial write.
	Put(ctx context.Context, key string, data []byte) error
	// Get returns the whole object.
	Get(ctx context.Context, key string) ([]byte, error)
	// GetRange returns length bytes starting at offset. A range that runs
	// past the end of the object is an error.
	GetRange(ctx context.Context, key string, offset, length int64) ([]byte, error)
	// Stat describes the object.
	Stat(ctx context.Context, key string) (ObjectInfo, error)
	// List returns one page of objects in ascending key order.
	List(ctx context.Context, opts ListOptions) (ListPage, error)
	// Delete removes the object; deleting a missing object is not an error.
	Delete(ctx context.Context, key string) error
	// Close releases the driver's resources.
	Close() error
}
