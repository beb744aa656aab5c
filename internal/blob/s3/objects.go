package s3

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/minio/minio-go/v7"

	"github.com/sluice-mq/sluice/internal/blob"
)

// singlePutMax is the largest object sent as one PUT; minio-go splits
// larger ones into a multipart upload.
const singlePutMax = 16 << 20

// Put implements blob.Store. S3 replaces objects atomically.
func (s *Store) Put(ctx context.Context, key string, data []byte) error {
	if err := blob.ValidateKey(key); err != nil {
		return fmt.Errorf("s3: put: %w", err)
	}
	opts := minio.PutObjectOptions{
		ContentType: "application/octet-stream",
		// A multipart upload costs at least three requests; not worth it
		// for small objects.
		DisableMultipart: len(data) <= singlePutMax,
	}
	_, err := s.client.PutObject(ctx, s.bucket, s.objectName(key), bytes.NewReader(data), int64(len(data)), opts)
	if err != nil {
		return fmt.Errorf("s3: put %q: %w", key, err)
	}
	return nil
}

// Get implements blob.Store.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := blob.ValidateKey(key); err != nil {
		return nil, fmt.Errorf("s3: get: %w", err)
	}
	// Core.GetObject is a single GET; minio.Object would add requests.
	body, info, _, err := minio.Core{Client: s.reads}.GetObject(ctx, s.bucket, s.objectName(key), minio.GetObjectOptions{})
	if err != nil {
		return nil, wrapErr("get", key, err)
	}
	defer body.Close()
	if info.Size < 0 { // no Content-Length
		data, err := io.ReadAll(body)
		if err != nil {
			return nil, fmt.Errorf("s3: get %q: %w", key, err)
		}
		return data, nil
	}
	data := make([]byte, info.Size)
	if n, err := io.ReadFull(body, data); err != nil {
		return nil, fmt.Errorf("s3: get %q: read %d of %d bytes: %w", key, n, info.Size, err)
	}
	return data, nil
}

// GetRange implements blob.Store.
func (s *Store) GetRange(ctx context.Context, key string, offset, length int64) ([]byte, error) {
	if err := blob.ValidateKey(key); err != nil {
		return nil, fmt.Errorf("s3: get range: %w", err)
	}
	if err := blob.ValidateRange(offset, length); err != nil {
		return nil, fmt.Errorf("s3: get range %q: %w", key, err)
	}
	if length == 0 {
		// HTTP cannot express an empty range; only check the bounds.
		return s.emptyRange(ctx, key, offset)
	}
	var opts minio.GetObjectOptions
	if err := opts.SetRange(offset, offset+length-1); err != nil {
		return nil, fmt.Errorf("s3: get range %q: %w", key, err)
	}
	body, _, header, err := minio.Core{Client: s.reads}.GetObject(ctx, s.bucket, s.objectName(key), opts)
	if errorCode(err) == minio.InvalidRange {
		return nil, fmt.Errorf("s3: get range %q: offset %d is at or past the end of the object: %w", key, offset, err)
	}
	if err != nil {
		return nil, wrapErr("get range", key, err)
	}
	defer body.Close()
	if err := checkRangeStart(header, offset); err != nil {
		return nil, fmt.Errorf("s3: get range %q: %w", key, err)
	}
	data := make([]byte, length)
	if n, err := io.ReadFull(body, data); err != nil {
		// S3 truncates ranges that run past the end instead of failing.
		return nil, fmt.Errorf("s3: get range %q: bytes [%d, %d) run past the end of the object (got %d bytes): %w",
			key, offset, offset+length, n, err)
	}
	return data, nil
}

// checkRangeStart makes sure the body starts at offset. A server that
// ignores Range answers 200 with the whole object and no Content-Range.
func checkRangeStart(header http.Header, offset int64) error {
	contentRange := header.Get("Content-Range")
	var start int64
	if _, err := fmt.Sscanf(contentRange, "bytes %d-", &start); err != nil {
		return fmt.Errorf("server ignored the Range request (Content-Range %q)", contentRange)
	}
	if start != offset {
		return fmt.Errorf("server returned bytes from %d, not %d", start, offset)
	}
	return nil
}

func (s *Store) emptyRange(ctx context.Context, key string, offset int64) ([]byte, error) {
	info, err := s.Stat(ctx, key)
	if err != nil {
		return nil, err
	}
	if offset > info.Size {
		return nil, fmt.Errorf("s3: get range %q: offset %d is past the end of the %d-byte object", key, offset, info.Size)
	}
	return []byte{}, nil
}

// Stat implements blob.Store.
func (s *Store) Stat(ctx context.Context, key string) (blob.ObjectInfo, error) {
	if err := blob.ValidateKey(key); err != nil {
		return blob.ObjectInfo{}, fmt.Errorf("s3: stat: %w", err)
	}
	info, err := s.reads.StatObject(ctx, s.bucket, s.objectName(key), minio.StatObjectOptions{})
	if err != nil {
		return blob.ObjectInfo{}, wrapErr("stat", key, err)
	}
	return blob.ObjectInfo{Key: key, Size: info.Size, LastModified: info.LastModified}, nil
}

// Delete implements blob.Store. S3 itself treats deleting a missing key as
// success; the NoSuchKey check covers servers that do not.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := blob.ValidateKey(key); err != nil {
		return fmt.Errorf("s3: delete: %w", err)
	}
	err := s.client.RemoveObject(ctx, s.bucket, s.objectName(key), minio.RemoveObjectOptions{})
	if err != nil && !isMissingObject(err) {
		return fmt.Errorf("s3: delete %q: %w", key, err)
	}
	return nil
}
