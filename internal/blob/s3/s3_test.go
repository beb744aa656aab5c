package s3_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/sluice-mq/sluice/internal/blob"
	"github.com/sluice-mq/sluice/internal/blob/blobtest"
	"github.com/sluice-mq/sluice/internal/blob/s3"
)

// openTimeLimit is how long Open may take to fail on bad input.
const openTimeLimit = 15 * time.Second

func configFor(srv blobtest.S3Server, bucket string) s3.Config {
	return s3.Config{
		Endpoint:  srv.Endpoint,
		Bucket:    bucket,
		AccessKey: srv.AccessKey,
		SecretKey: srv.SecretKey,
		Secure:    srv.Secure,
	}
}

// testBucket returns the configured shared bucket or a new one.
func testBucket(t *testing.T, srv blobtest.S3Server) string {
	if srv.Bucket != "" {
		return srv.Bucket
	}
	return srv.CreateBucket(t)
}

// openStore opens a store that the caller must close.
func openStore(t *testing.T, cfg s3.Config) *s3.Store {
	t.Helper()
	s, err := s3.Open(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

// mustOpen opens a store that is closed when the test ends.
func mustOpen(t *testing.T, cfg s3.Config) *s3.Store {
	t.Helper()
	s := openStore(t, cfg)
	t.Cleanup(func() { s.Close() })
	return s
}

// uniquePrefix keeps runs that share an external bucket apart; on a shared
// bucket its objects are deleted when the test ends.
func uniquePrefix(t *testing.T, srv blobtest.S3Server, bucket string) string {
	prefix := "run-" + strings.TrimPrefix(blobtest.UniqueBucketName(), "sluice-test-")
	if srv.Bucket != "" {
		t.Cleanup(func() { deleteAll(t, srv, bucket, prefix+"/") })
	}
	return prefix
}

func deleteAll(t *testing.T, srv blobtest.S3Server, bucket, prefix string) {
	client := srv.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	objects := client.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true})
	for res := range client.RemoveObjects(ctx, bucket, objects, minio.RemoveObjectsOptions{}) {
		t.Logf("cleanup: %s: %v", res.ObjectName, res.Err)
	}
}

func TestConformance(t *testing.T) {
	srv := blobtest.StartVersityGW(t)
	bucket := testBucket(t, srv)
	cfg := configFor(srv, bucket)
	cfg.Prefix = uniquePrefix(t, srv, bucket)
	blobtest.Run(t, func(t *testing.T) blob.Store { return openStore(t, cfg) })
}

func TestPrefixKeepsStoresApart(t *testing.T) {
	srv := blobtest.StartVersityGW(t)
	bucket := testBucket(t, srv)
	base := uniquePrefix(t, srv, bucket)
	cfgA, cfgB := configFor(srv, bucket), configFor(srv, bucket)
	cfgA.Prefix, cfgB.Prefix = base+"/a", base+"/b/" // with and without the slash
	a, b := mustOpen(t, cfgA), mustOpen(t, cfgB)

	if err := a.Put(t.Context(), "k", []byte("from a")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(t.Context(), "k"); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("store b sees store a's key: %v", err)
	}
	if page, err := b.List(t.Context(), blob.ListOptions{}); err != nil || len(page.Objects) != 0 {
		t.Errorf("store b List = %+v, %v; want nothing", page, err)
	}
	if _, err := srv.Client(t).StatObject(t.Context(), bucket, base+"/a/k", minio.StatObjectOptions{}); err != nil {
		t.Errorf("object not stored under its prefix: %v", err)
	}
}

// TestUploadStyle checks that small objects go up in one PUT and large
// ones as multipart uploads, whose ETags end in "-<parts>".
func TestUploadStyle(t *testing.T) {
	srv := blobtest.StartVersityGW(t)
	bucket := testBucket(t, srv)
	cfg := configFor(srv, bucket)
	cfg.Prefix = uniquePrefix(t, srv, bucket)
	s := mustOpen(t, cfg)
	client := srv.Client(t)

	large := make([]byte, 17<<20)
	rand.Read(large)
	for _, c := range []struct {
		key       string
		data      []byte
		multipart bool
	}{
		{"small", []byte("tiny"), false},
		{"exactly-16mib", large[:16<<20], false},
		{"large", large, true},
	} {
		if err := s.Put(t.Context(), c.key, c.data); err != nil {
			t.Fatalf("Put(%s): %v", c.key, err)
		}
		info, err := client.StatObject(t.Context(), bucket, cfg.Prefix+"/"+c.key, minio.StatObjectOptions{})
		if err != nil {
			t.Fatalf("StatObject(%s): %v", c.key, err)
		}
		if multipart := strings.Contains(info.ETag, "-"); multipart != c.multipart {
			t.Errorf("%s: ETag %q, multipart = %v, want %v", c.key, info.ETag, multipart, c.multipart)
		}
	}
	got, err := s.Get(t.Context(), "large")
	if err != nil || !bytes.Equal(got, large) {
		t.Fatalf("Get(large) = %d bytes, %v; want the %d bytes written", len(got), err, len(large))
	}
	// A range across the multipart boundary.
	got, err = s.GetRange(t.Context(), "large", 16<<20-10, 20)
	if err != nil || !bytes.Equal(got, large[16<<20-10:16<<20+10]) {
		t.Errorf("GetRange across parts = %d bytes, %v", len(got), err)
	}
}

// freeLocalAddr returns a local address with nothing listening on it.
func freeLocalAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// silentAddr returns the address of a server that accepts connections and
// never answers.
func silentAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				for _, c := range conns {
					c.Close()
				}
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
	})
	return l.Addr().String()
}
