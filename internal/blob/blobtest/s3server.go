package blobtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Server is an S3-compatible server for tests.
type S3Server struct {
	Endpoint  string // host:port
	AccessKey string
	SecretKey string
	Secure    bool
	// Bucket is a bucket to use as is, from SLUICE_TEST_S3_BUCKET; empty
	// for a server started by StartVersityGW.
	Bucket string
}

// Environment variables that point the tests at an existing server.
const (
	envEndpoint  = "SLUICE_TEST_S3_ENDPOINT"
	envAccessKey = "SLUICE_TEST_S3_ACCESS_KEY"
	envSecretKey = "SLUICE_TEST_S3_SECRET_KEY"
	envBucket    = "SLUICE_TEST_S3_BUCKET"
	envSecure    = "SLUICE_TEST_S3_SECURE"
)

// externalS3Server returns the server configured in the environment, if any.
func externalS3Server(t testing.TB) (S3Server, bool) {
	endpoint := os.Getenv(envEndpoint)
	if endpoint == "" {
		return S3Server{}, false
	}
	srv := S3Server{
		Endpoint:  endpoint,
		AccessKey: os.Getenv(envAccessKey),
		SecretKey: os.Getenv(envSecretKey),
		Bucket:    os.Getenv(envBucket),
	}
	if v := os.Getenv(envSecure); v != "" {
		secure, err := strconv.ParseBool(v)
		if err != nil {
			t.Fatalf("%s=%q: %v", envSecure, v, err)
		}
		srv.Secure = secure
	}
	return srv, true
}

// UniqueBucketName returns a valid bucket name that no test has used.
func UniqueBucketName() string {
	return "sluice-test-" + randomHex(6)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Client returns a minio-go client for srv, for test setup outside the
// driver under test.
func (srv S3Server) Client(t testing.TB) *minio.Client {
	t.Helper()
	client, err := minio.New(srv.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, ""),
		Secure:       srv.Secure,
		BucketLookup: minio.BucketLookupPath,
		MaxRetries:   1,
	})
	if err != nil {
		t.Fatalf("minio client for %s: %v", srv.Endpoint, err)
	}
	return client
}

// CreateBucket creates a new, uniquely named bucket and returns its name.
// On servers the test did not start, the bucket is emptied and removed
// when the test ends.
func (srv S3Server) CreateBucket(t testing.TB) string {
	t.Helper()
	client := srv.Client(t)
	name := UniqueBucketName()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := client.MakeBucket(ctx, name, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("create bucket %q on %s: %v", name, srv.Endpoint, err)
	}
	if _, external := externalS3Server(t); external {
		t.Cleanup(func() { removeBucket(t, client, name) })
	}
	return name
}

// removeBucket deletes a test bucket and its objects. Failures are only
// logged: leftovers do not affect later runs, which use fresh names.
func removeBucket(t testing.TB, client *minio.Client, bucket string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	objects := client.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true})
	for res := range client.RemoveObjects(ctx, bucket, objects, minio.RemoveObjectsOptions{}) {
		t.Logf("cleanup: remove %s/%s: %v", bucket, res.ObjectName, res.Err)
	}
	if err := client.RemoveBucket(ctx, bucket); err != nil {
		t.Logf("cleanup: remove bucket %s: %v", bucket, err)
	}
}
