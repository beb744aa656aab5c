package signature

import (
	"strings"
	"testing"
	"time"
)

func TestSignVerify(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	body := []byte(`{"Type":"Notification"}`)
	h := Sign("s3cret-s3cret-s3cret", now, body)
	if !strings.HasPrefix(h, "t=1700000000,v1=") || len(h) != len("t=1700000000,v1=")+64 {
		t.Fatalf("header %q", h)
	}
	if err := Verify("s3cret-s3cret-s3cret", h, body, now.Add(time.Minute), MaxSkew); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		secret, header string
		body           []byte
		now            time.Time
	}{
		"other secret": {"other-secret-other", h, body, now},
		"other body":   {"s3cret-s3cret-s3cret", h, []byte(`{}`), now},
		"stale":        {"s3cret-s3cret-s3cret", h, body, now.Add(6 * time.Minute)},
		"other time":   {"s3cret-s3cret-s3cret", strings.Replace(h, "t=1700000000", "t=1700000001", 1), body, now},
		"no time":      {"s3cret-s3cret-s3cret", h[strings.Index(h, "v1="):], body, now},
	} {
		if err := Verify(c.secret, c.header, c.body, c.now, MaxSkew); err == nil {
			t.Errorf("%s: verified", name)
		}
	}
}

// A check-back request's signature, as its receiver verifies it.
func TestCheckBackSignature(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"transactionId":"x"}`)
	sig := Sign("k", now, body)
	if Verify("k", sig, body, now, time.Minute) != nil {
		t.Fatal("own signature refused")
	}
	for name, ok := range map[string]bool{
		"wrong key":  Verify("other", sig, body, now, time.Minute) == nil,
		"wrong body": Verify("k", sig, []byte(`{}`), now, time.Minute) == nil,
		"too old":    Verify("k", sig, body, now.Add(2*time.Minute), time.Minute) == nil,
		"empty":      Verify("k", "", body, now, time.Minute) == nil,
	} {
		if ok {
			t.Errorf("%s: accepted", name)
		}
	}
}
