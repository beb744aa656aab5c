package sigv4

import (
	"context"
	"net/http"
	"testing"
	"time"
)

func TestVerifyClockSkew(t *testing.T) {
	for _, tc := range []struct {
		name    string
		now     time.Time
		code    string
		message string
	}{
		{name: "signed just now", now: signedAt},
		{name: "14m59s late", now: signedAt.Add(14*time.Minute + 59*time.Second)},
		{name: "exactly 15m late", now: signedAt.Add(15 * time.Minute)},
		{name: "15m01s late", now: signedAt.Add(15*time.Minute + time.Second), code: CodeSignatureDoesNotMatch,
			message: "Signature expired: 20260314T150926Z is now earlier than 20260314T150927Z (20260314T152427Z - 15 min.)"},
		{name: "a day late", now: signedAt.Add(24 * time.Hour), code: CodeSignatureDoesNotMatch,
			message: "Signature expired: 20260314T150926Z is now earlier than 20260315T145426Z (20260315T150926Z - 15 min.)"},
		{name: "client 14m ahead", now: signedAt.Add(-14 * time.Minute)},
		{name: "client 16m ahead", now: signedAt.Add(-16 * time.Minute), code: CodeSignatureDoesNotMatch,
			message: "Signature not yet current: 20260314T150926Z is still later than 20260314T150826Z (20260314T145326Z + 15 min.)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, body := sdkRequests[0].build(t)
			signHeader(t, req, body, testRegion, "sqs", signedAt)
			r, wireBody := wire(t, req)
			_, err := testVerifier(tc.now).Verify(context.Background(), r, wireBody)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			if e := wantError(t, err, tc.code, 403); e.Message != tc.message {
				t.Fatalf("message = %q\nwant      %q", e.Message, tc.message)
			}
		})
	}
}

func TestVerifyMaxSkewOption(t *testing.T) {
	req, body := sdkRequests[0].build(t)
	signHeader(t, req, body, testRegion, "sqs", signedAt)
	r, wireBody := wire(t, req)
	v := NewVerifier(staticStore{testKeyID: testSecret}, Options{
		Clock:   func() time.Time { return signedAt.Add(5*time.Minute + time.Second) },
		MaxSkew: 5 * time.Minute,
	})
	_, err := v.Verify(context.Background(), r, wireBody)
	if e := wantError(t, err, CodeSignatureDoesNotMatch, 403); e.Message !=
		"Signature expired: 20260314T150926Z is now earlier than 20260314T150927Z (20260314T151427Z - 5 min.)" {
		t.Fatalf("message = %q", e.Message)
	}
}

// The Date header stands in for X-Amz-Date, as SigV4 allows.
func TestVerifyDateHeader(t *testing.T) {
	req, body := sdkRequests[0].build(t)
	signHeader(t, req, body, testRegion, "sqs", signedAt)
	r, wireBody := wire(t, req)
	r.Header.Del("X-Amz-Date")
	r.Header.Set("Date", signedAt.Format(http.TimeFormat))
	// x-amz-date was signed and is now absent, so the signature no longer
	// matches; but the date was understood: an old one is reported as such.
	_, err := testVerifier(signedAt).Verify(context.Background(), r, wireBody)
	wantError(t, err, CodeSignatureDoesNotMatch, 403)
	_, err = testVerifier(signedAt.Add(time.Hour)).Verify(context.Background(), r, wireBody)
	if e := wantError(t, err, CodeSignatureDoesNotMatch, 403); e.Message == msgSignatureDoesNotMatch {
		t.Fatalf("an hour-old Date header was not reported as expired")
	}
}

func TestVerifyPresignExpiry(t *testing.T) {
	for _, tc := range []struct {
		name    string
		expires string // X-Amz-Expires, or none
		age     time.Duration
		message string // empty: accepted
	}{
		{name: "60s URL at 59s", expires: "60", age: 59 * time.Second},
		{name: "60s URL at 60s", expires: "60", age: 60 * time.Second},
		{name: "60s URL at 61s", expires: "60", age: 61 * time.Second,
			message: "Signature expired: 20260314T150926Z is now earlier than 20260314T150927Z (20260314T151027Z - 1 min.)"},
		{name: "90s URL at 91s", expires: "90", age: 91 * time.Second,
			message: "Signature expired: 20260314T150926Z is now earlier than 20260314T150927Z (20260314T151057Z - 90 sec.)"},
		{name: "week-long URL after six days", expires: "604800", age: 6 * 24 * time.Hour},
		{name: "URL without X-Amz-Expires at 15m", age: 15 * time.Minute},
		{name: "URL without X-Amz-Expires at 16m", age: 16 * time.Minute,
			message: "Signature expired: 20260314T150926Z is now earlier than 20260314T151026Z (20260314T152526Z - 15 min.)"},
		{name: "URL dated 16m ahead", expires: "3600", age: -16 * time.Minute,
			message: "Signature not yet current: 20260314T150926Z is still later than 20260314T150826Z (20260314T145326Z + 15 min.)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := sdkRequests[2].build(t)
			if tc.expires != "" {
				req.URL.RawQuery += "&X-Amz-Expires=" + tc.expires
			}
			r, body := wire(t, presign(t, req, payloadHash(nil), signedAt))
			_, err := testVerifier(signedAt.Add(tc.age)).Verify(context.Background(), r, body)
			if tc.message == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			if e := wantError(t, err, CodeSignatureDoesNotMatch, 403); e.Message != tc.message {
				t.Fatalf("message = %q\nwant      %q", e.Message, tc.message)
			}
		})
	}
}
