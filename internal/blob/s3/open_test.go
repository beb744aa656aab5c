package s3_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/internal/blob/blobtest"
	"github.com/sluice-mq/sluice/internal/blob/s3"
)

// checkOpenFails runs Open on a bad configuration and checks that it fails
// in time with an error that names the setting to fix.
func checkOpenFails(t *testing.T, cfg s3.Config, wantInError string) {
	t.Helper()
	start := time.Now()
	s, err := s3.Open(t.Context(), cfg)
	elapsed := time.Since(start)
	if err == nil {
		s.Close()
		t.Fatalf("Open succeeded, want an error mentioning %s", wantInError)
	}
	t.Logf("after %v: %v", elapsed.Round(time.Millisecond), err)
	if !strings.Contains(err.Error(), wantInError) {
		t.Errorf("error does not mention %s", wantInError)
	}
	if elapsed > openTimeLimit {
		t.Errorf("Open took %v, want at most %v", elapsed, openTimeLimit)
	}
}

func TestOpenBadConfig(t *testing.T) {
	srv := blobtest.StartVersityGW(t)
	bucket := testBucket(t, srv)
	good := configFor(srv, bucket)

	t.Run("UnreachableEndpoint", func(t *testing.T) {
		cfg := good
		cfg.Endpoint = freeLocalAddr(t)
		checkOpenFails(t, cfg, "--s3-endpoint")
	})
	t.Run("UnreachableEndpointWithRegion", func(t *testing.T) {
		// With a region set the first request is the listing, which minio-go
		// retries (MaxRetries) instead of the one-shot region lookup.
		cfg := good
		cfg.Endpoint = freeLocalAddr(t)
		cfg.Region = "us-east-1"
		checkOpenFails(t, cfg, "--s3-endpoint")
	})
	t.Run("SilentEndpoint", func(t *testing.T) {
		cfg := good
		cfg.Endpoint = silentAddr(t)
		cfg.ConnectTimeout = time.Second
		checkOpenFails(t, cfg, "--s3-endpoint")
	})
	t.Run("TLSToPlainHTTP", func(t *testing.T) {
		if srv.Secure {
			t.Skip("server speaks TLS")
		}
		cfg := good
		cfg.Secure = true
		checkOpenFails(t, cfg, "--s3-endpoint")
	})
	for _, endpoint := range []string{"http://x y", "", "host:port:extra", "ftp://host", "https://" + good.Endpoint, "x/path"} {
		t.Run("MalformedEndpoint/"+endpoint, func(t *testing.T) {
			cfg := good
			cfg.Endpoint = endpoint
			checkOpenFails(t, cfg, "--s3-endpoint")
		})
	}
	t.Run("WrongSecretKey", func(t *testing.T) {
		cfg := good
		cfg.SecretKey += "-wrong"
		checkOpenFails(t, cfg, "--s3-secret-key")
	})
	t.Run("UnknownAccessKey", func(t *testing.T) {
		cfg := good
		cfg.AccessKey = "no-such-access-key"
		checkOpenFails(t, cfg, "--s3-access-key")
	})
	t.Run("OnlyAccessKey", func(t *testing.T) {
		cfg := good
		cfg.SecretKey = ""
		checkOpenFails(t, cfg, "--s3-secret-key")
	})
	t.Run("MissingBucket", func(t *testing.T) {
		cfg := good
		cfg.Bucket = blobtest.UniqueBucketName()
		checkOpenFails(t, cfg, "--s3-bucket")
	})
	t.Run("InvalidBucketName", func(t *testing.T) {
		cfg := good
		cfg.Bucket = "Not_A_Bucket"
		checkOpenFails(t, cfg, "--s3-bucket")
	})
	t.Run("CanceledContext", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := s3.Open(ctx, good); !errors.Is(err, context.Canceled) {
			t.Errorf("Open with a canceled context = %v, want context.Canceled", err)
		}
	})
}

func TestOpenCreatesMissingBucket(t *testing.T) {
	srv := blobtest.StartVersityGW(t)
	if srv.Bucket != "" {
		t.Skip("external server with a fixed bucket; not creating buckets")
	}
	cfg := configFor(srv, blobtest.UniqueBucketName())
	cfg.CreateBucket = true
	s := mustOpen(t, cfg)
	if err := s.Put(t.Context(), "k", []byte("v")); err != nil {
		t.Fatalf("Put into created bucket: %v", err)
	}
	exists, err := srv.Client(t).BucketExists(t.Context(), cfg.Bucket)
	if err != nil || !exists {
		t.Errorf("BucketExists(%q) = %v, %v after Open with CreateBucket", cfg.Bucket, exists, err)
	}
	// Opening again finds the bucket already there.
	openStore(t, cfg).Close()
}
