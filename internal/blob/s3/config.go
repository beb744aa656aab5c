package s3

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/minio/minio-go/v7/pkg/s3utils"

	"github.com/sluice-mq/sluice/internal/blob"
)

const (
	defaultConnectTimeout = 10 * time.Second
	// defaultMaxRetries keeps a dead endpoint from stalling callers for the
	// ~10 attempts minio-go makes by default.
	defaultMaxRetries = 3
)

// Config selects an S3-compatible bucket. Error messages refer to the
// fields by their command-line flags (--s3-endpoint, --s3-bucket, ...).
type Config struct {
	// Endpoint is host[:port]. An http:// or https:// URL is accepted too,
	// but its scheme must agree with Secure.
	Endpoint  string
	Bucket    string
	AccessKey string
	SecretKey string
	// Region is the bucket's region; empty asks the server.
	Region string
	// Secure selects HTTPS.
	Secure bool
	// Prefix is prepended to every key, to share a bucket with other data
	// (e.g. "sluice/"). A missing trailing slash is added.
	Prefix string
	// CreateBucket makes Open create the bucket if it does not exist.
	CreateBucket bool
	// ConnectTimeout bounds Open's connectivity check and every TCP dial.
	// Zero means 10s.
	ConnectTimeout time.Duration
	// MaxRetries is the number of attempts per write, list or delete
	// request; object reads make one (readAttempts). Zero means 3.
	MaxRetries int
}

// normalized checks cfg and fills in defaults.
func (cfg Config) normalized() (Config, error) {
	var errs []error
	if cfg.Endpoint == "" {
		errs = append(errs, errors.New("--s3-endpoint is not set"))
	}
	if err := s3utils.CheckValidBucketName(cfg.Bucket); err != nil {
		errs = append(errs, fmt.Errorf("invalid --s3-bucket %q: %w", cfg.Bucket, err))
	}
	if (cfg.AccessKey == "") != (cfg.SecretKey == "") {
		errs = append(errs, errors.New("--s3-access-key/--s3-secret-key: set both, or neither for anonymous access"))
	}
	if cfg.Prefix != "" {
		cfg.Prefix = strings.TrimSuffix(cfg.Prefix, "/")
		if err := blob.ValidateKey(cfg.Prefix); err != nil {
			errs = append(errs, fmt.Errorf("invalid key prefix: %w", err))
		}
		cfg.Prefix += "/"
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = defaultConnectTimeout
	}
	if cfg.MaxRetries <= 0 {
		cfg.MaxRetries = defaultMaxRetries
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("s3: %w", err)
	}
	return cfg, nil
}
