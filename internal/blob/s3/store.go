// Package s3 is a blob.Store on any S3-compatible server (AWS S3, MinIO,
// versitygw, ...), using minio-go with path-style bucket addressing.
package s3

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/sluice-mq/sluice/internal/blob"
)

// Store is a blob.Store backed by one S3 bucket.
type Store struct {
	client    *minio.Client // writes, lists and deletes: MaxRetries attempts
	reads     *minio.Client // Get, GetRange and Stat: one attempt (readAttempts)
	transport *http.Transport
	bucket    string
	prefix    string // prepended to every key; "" or ending in "/"
}

var _ blob.Store = (*Store)(nil)

// readAttempts is the attempts per object read. One: a read's callers
// have their own backoff (the cold tier fails uncached reads fast for 2 s
// after one fails), and a receive reads inside its transaction, holding
// its claim's locks: with minio-go's retries (200 ms, then 400 ms, ...) a
// FIFO claim slept in a read of an S3 server that refused connections,
// holding its group locks, while a send backed off on a lock (a goroutine
// dump of e2e/chaos TestBlobStoreFaults).
const readAttempts = 1

// dialKeepAlive matches minio-go's default transport.
const dialKeepAlive = 30 * time.Second

// Open connects to the bucket described by cfg. Within cfg.ConnectTimeout
// it checks that the endpoint answers, the credentials are accepted and the
// bucket exists (creating it if cfg.CreateBucket), so that configuration
// mistakes surface at startup with the flag to fix.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	cfg, err := cfg.normalized()
	if err != nil {
		return nil, err
	}
	transport, err := newTransport(cfg)
	if err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	newClient := func(attempts int) (*minio.Client, error) {
		return minio.New(cfg.Endpoint, &minio.Options{
			Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
			Secure:       cfg.Secure,
			Region:       cfg.Region,
			BucketLookup: minio.BucketLookupPath,
			MaxRetries:   attempts,
			Transport:    transport,
		})
	}
	client, err := newClient(cfg.MaxRetries)
	if err != nil {
		return nil, fmt.Errorf("s3: invalid --s3-endpoint %q: %w", cfg.Endpoint, err)
	}
	reads, err := newClient(readAttempts)
	if err != nil {
		return nil, fmt.Errorf("s3: invalid --s3-endpoint %q: %w", cfg.Endpoint, err)
	}
	s := &Store{client: client, reads: reads, transport: transport, bucket: cfg.Bucket, prefix: cfg.Prefix}
	if err := s.checkBucket(ctx, cfg); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close implements blob.Store.
func (s *Store) Close() error {
	s.transport.CloseIdleConnections()
	return nil
}

// newTransport is minio-go's default transport with dials bounded by
// ConnectTimeout, so an endpoint that drops packets fails fast too.
func newTransport(cfg Config) (*http.Transport, error) {
	transport, err := minio.DefaultTransport(cfg.Secure)
	if err != nil {
		return nil, err
	}
	dialer := &net.Dialer{Timeout: cfg.ConnectTimeout, KeepAlive: dialKeepAlive}
	transport.DialContext = dialer.DialContext
	transport.TLSHandshakeTimeout = cfg.ConnectTimeout
	return transport, nil
}

// objectName maps a key to its name in the bucket.
func (s *Store) objectName(key string) string {
	return s.prefix + key
}
