package s3

import (
	"context"
	"errors"
	"fmt"

	"github.com/minio/minio-go/v7"
)

// checkBucket verifies, within cfg.ConnectTimeout, that the bucket can be
// listed, creating it first if it is missing and cfg.CreateBucket is set.
func (s *Store) checkBucket(ctx context.Context, cfg Config) error {
	probeCtx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer cancel()
	err := s.listOne(probeCtx)
	if errorCode(err) == minio.NoSuchBucket && cfg.CreateBucket {
		err = s.createBucket(probeCtx, cfg.Region)
		if err == nil {
			err = s.listOne(probeCtx)
		}
	}
	if err == nil {
		return nil
	}
	if ctx.Err() != nil { // the caller gave up; not a configuration problem
		return fmt.Errorf("s3: open bucket %q: %w", cfg.Bucket, err)
	}
	return explainOpenError(cfg, err)
}

// listOne lists at most one key. It is a GET because HEAD responses have no
// body, so minio-go guesses the error code from the status: a HEAD on an
// object in a missing bucket reads as NoSuchKey, a wrong secret as
// AccessDenied. The GET's body names the real cause.
func (s *Store) listOne(ctx context.Context) error {
	opts := minio.ListObjectsOptions{Prefix: s.prefix, Recursive: true, MaxKeys: 1, FetchOwner: new(false)}
	for obj := range s.client.ListObjectsIter(ctx, s.bucket, opts) {
		if obj.Err != nil {
			return obj.Err
		}
		break
	}
	// The iterator ends silently when ctx is done.
	return ctx.Err()
}

func (s *Store) createBucket(ctx context.Context, region string) error {
	err := s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: region})
	if errorCode(err) == minio.BucketAlreadyOwnedByYou {
		return nil // created concurrently by someone with the same keys
	}
	if err != nil {
		return fmt.Errorf("create bucket: %w", err)
	}
	return nil
}

// explainOpenError turns a failed check into a message that names the
// setting to fix.
func explainOpenError(cfg Config, err error) error {
	switch errorCode(err) {
	case "InvalidAccessKeyId", "XAdminUserNotFound": // the latter from versitygw
		return fmt.Errorf("s3: %s does not know access key %q; check --s3-access-key/--s3-secret-key: %w",
			cfg.Endpoint, cfg.AccessKey, err)
	case "SignatureDoesNotMatch":
		return fmt.Errorf("s3: %s rejected the request signature, so the secret key does not match access key %q; check --s3-access-key/--s3-secret-key: %w",
			cfg.Endpoint, cfg.AccessKey, err)
	case "AccessDenied":
		return fmt.Errorf("s3: access key %q may not list bucket %q; check --s3-access-key/--s3-secret-key and the key's permissions: %w",
			cfg.AccessKey, cfg.Bucket, err)
	case "NoSuchBucket":
		return fmt.Errorf("s3: bucket %q does not exist on %s; check --s3-bucket or create the bucket: %w",
			cfg.Bucket, cfg.Endpoint, err)
	case "InvalidBucketName":
		return fmt.Errorf("s3: %s rejects the bucket name %q; check --s3-bucket: %w", cfg.Endpoint, cfg.Bucket, err)
	case "BucketAlreadyExists":
		return fmt.Errorf("s3: bucket %q belongs to another account; choose another --s3-bucket: %w", cfg.Bucket, err)
	case "":
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("s3: no answer from %s within %v; check --s3-endpoint: %w", cfg.Endpoint, cfg.ConnectTimeout, err)
		}
		// No S3 error response at all: the request never got an answer.
		return fmt.Errorf("s3: cannot reach %s; check --s3-endpoint: %w", cfg.Endpoint, err)
	default:
		return fmt.Errorf("s3: checking bucket %q on %s (--s3-endpoint, --s3-bucket): %s: %w", cfg.Bucket, cfg.Endpoint, errorCode(err), err)
	}
}
