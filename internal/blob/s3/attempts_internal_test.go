package s3

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Object reads make one attempt; writes keep their retries. A read is on
// a receive's path, inside its transaction: minio-go's retries slept
// there while an S3 server refused connections, holding the claim's locks.
func TestReadsMakeOneAttempt(t *testing.T) {
	var (
		mu       sync.Mutex
		requests = map[string]int{}
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("list-type") { // Open's bucket check
			w.Header().Set("Content-Type", "application/xml")
			_, _ = w.Write([]byte(`<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>bucket</Name><IsTruncated>false</IsTruncated></ListBucketResult>`))
			return
		}
		mu.Lock()
		requests[r.Method]++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`<Error><Code>SlowDown</Code><Message>busy</Message></Error>`))
	}))
	defer srv.Close()
	s, err := Open(t.Context(), Config{Endpoint: strings.TrimPrefix(srv.URL, "http://"), Bucket: "bucket", Region: "us-east-1",
		AccessKey: "key", SecretKey: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Get(t.Context(), "a"); err == nil {
		t.Fatal("get succeeded against a server that answers 503")
	}
	if _, err := s.GetRange(t.Context(), "a", 0, 10); err == nil {
		t.Fatal("get range succeeded against a server that answers 503")
	}
	if _, err := s.Stat(t.Context(), "a"); err == nil {
		t.Fatal("stat succeeded against a server that answers 503")
	}
	if err := s.Put(t.Context(), "a", []byte("x")); err == nil {
		t.Fatal("put succeeded against a server that answers 503")
	}
	mu.Lock()
	defer mu.Unlock()
	if requests["GET"] != 2 || requests["HEAD"] != 1 {
		t.Errorf("reads sent %d GETs and %d HEADs; want one attempt each (2 and 1)", requests["GET"], requests["HEAD"])
	}
	if requests["PUT"] != defaultMaxRetries {
		t.Errorf("a put sent %d requests; want %d attempts", requests["PUT"], defaultMaxRetries)
	}
}
