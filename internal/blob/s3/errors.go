package s3

import (
	"errors"
	"fmt"

	"github.com/minio/minio-go/v7"

	"github.com/sluice-mq/sluice/internal/blob"
)

// errorCode is the S3 error code carried by err, or "" if the request got
// no S3 error response (network failure, canceled context, ...).
func errorCode(err error) string {
	var resp minio.ErrorResponse
	if errors.As(err, &resp) {
		return resp.Code
	}
	return ""
}

// isMissingObject reports whether err says the object does not exist.
// versitygw may answer NotFound where S3 says NoSuchKey.
func isMissingObject(err error) bool {
	switch errorCode(err) {
	case minio.NoSuchKey, "NotFound":
		return true
	}
	return false
}

// wrapErr adds the operation and key to err, mapping missing objects to
// blob.ErrNotFound.
func wrapErr(op, key string, err error) error {
	if isMissingObject(err) {
		return fmt.Errorf("s3: %s %q: %w", op, key, blob.ErrNotFound)
	}
	return fmt.Errorf("s3: %s %q: %w", op, key, err)
}
