package sigv4

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

// mutableStore is a CredentialStore whose secrets can be rotated.
type mutableStore struct {
	mu      sync.Mutex
	secrets map[string]string
}

func (s *mutableStore) SecretFor(ctx context.Context, accessKeyID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return staticStore(s.secrets).SecretFor(ctx, accessKeyID)
}

func (s *mutableStore) set(accessKeyID, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets[accessKeyID] = secret
}

func TestSigningKeyCacheKeepsOnlyKeysThatVerified(t *testing.T) {
	v := testVerifier(signedAt)
	req, body := sdkRequests[0].build(t)
	signHeader(t, req, body, testRegion, "sqs", signedAt)
	r, wireBody := wire(t, req)

	if _, err := v.Verify(context.Background(), r, append([]byte("x"), wireBody...)); err == nil {
		t.Fatal("tampered body verified")
	}
	if n := v.keys.len(); n != 0 {
		t.Fatalf("a failed verification cached %d keys", n)
	}
	for range 3 {
		if _, err := v.Verify(context.Background(), r, wireBody); err != nil {
			t.Fatal(err)
		}
	}
	if n := v.keys.len(); n != 1 {
		t.Fatalf("cache holds %d keys, want 1", n)
	}
}

// A rotated secret must not be served from the cache under the old one.
func TestSigningKeyCacheFollowsSecretRotation(t *testing.T) {
	store := &mutableStore{secrets: map[string]string{testKeyID: testSecret}}
	v := NewVerifier(store, Options{Clock: func() time.Time { return signedAt }})
	req, body := sdkRequests[0].build(t)
	signHeader(t, req, body, testRegion, "sqs", signedAt)
	r, wireBody := wire(t, req)
	if _, err := v.Verify(context.Background(), r, wireBody); err != nil {
		t.Fatal(err)
	}

	store.set(testKeyID, "rotated-secret")
	_, err := v.Verify(context.Background(), r, wireBody)
	wantError(t, err, CodeSignatureDoesNotMatch, 403)
}

func TestSigningKeyCacheIsBounded(t *testing.T) {
	c := newSigningKeyCache(4)
	for i := range 10 {
		c.put(scopeKey{accessKeyID: fmt.Sprint(i), date: "20260314", region: "us-east-1", service: "sqs"}, "s", [32]byte{byte(i)})
	}
	if n := c.len(); n != 4 {
		t.Fatalf("cache holds %d keys, want 4", n)
	}
	last := scopeKey{accessKeyID: "9", date: "20260314", region: "us-east-1", service: "sqs"}
	if key, ok := c.get(last, "s"); !ok || key[0] != 9 {
		t.Fatalf("the newest key is missing")
	}
	if _, ok := c.get(last, "other secret"); ok {
		t.Fatalf("a key served for another secret")
	}
}

// Many goroutines verifying at once share the cache safely (run with -race).
func TestVerifyConcurrently(t *testing.T) {
	v := NewVerifier(staticStore{testKeyID: testSecret}, Options{Clock: func() time.Time { return signedAt }, KeyCacheSize: 2})
	type signed struct {
		r      *http.Request
		body   []byte
		region string
	}
	var requests []signed
	for i := range 5 {
		region := fmt.Sprintf("region-%d", i)
		req, body := sdkRequests[0].build(t)
		signHeader(t, req, body, region, "sqs", signedAt)
		r, wireBody := wire(t, req)
		requests = append(requests, signed{r, wireBody, region})
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				s := requests[(g+i)%len(requests)]
				if id, err := v.Verify(context.Background(), s.r, s.body); err != nil || id.Region != s.region {
					t.Errorf("Verify = %+v, %v", id, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
