package s3

import (
	"context"
	"fmt"
	"strings"

	"github.com/minio/minio-go/v7"

	"github.com/sluice-mq/sluice/internal/blob"
)

// maxKeysPerRequest is the most keys S3 returns per ListObjectsV2 call.
const maxKeysPerRequest = 1000

// List implements blob.Store.
func (s *Store) List(ctx context.Context, opts blob.ListOptions) (blob.ListPage, error) {
	pageSize := opts.PageSize()
	listOpts := minio.ListObjectsOptions{
		Prefix:     s.prefix + opts.Prefix,
		Recursive:  true,
		MaxKeys:    min(pageSize+1, maxKeysPerRequest),
		FetchOwner: new(false),
	}
	if opts.StartAfter != "" {
		listOpts.StartAfter = s.prefix + opts.StartAfter
	}
	// Canceling stops the listing once the page is full.
	listCtx, cancel := context.WithCancel(ctx)
	defer cancel()

	// One object beyond the page tells whether another page follows.
	var found []blob.ObjectInfo
	for obj := range s.client.ListObjectsIter(listCtx, s.bucket, listOpts) {
		if obj.Err != nil {
			return blob.ListPage{}, fmt.Errorf("s3: list %q: %w", opts.Prefix, obj.Err)
		}
		key := strings.TrimPrefix(obj.Key, s.prefix)
		if blob.ValidateKey(key) != nil {
			continue // e.g. "dir/" markers written by other tools; not ours
		}
		found = append(found, blob.ObjectInfo{Key: key, Size: obj.Size, LastModified: obj.LastModified})
		if len(found) > pageSize {
			break
		}
	}
	// The iterator ends silently when the context is done.
	if err := ctx.Err(); err != nil {
		return blob.ListPage{}, fmt.Errorf("s3: list %q: %w", opts.Prefix, err)
	}
	return blob.NewPage(found, pageSize), nil
}
