package sigv4

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// BenchmarkVerify is the per-request cost of a header-signed JSON request
// with a 1 KiB body, the signing key cached (the steady state).
func BenchmarkVerify(b *testing.B) {
	body := []byte(`{"QueueUrl":"https://sqs.us-east-1.amazonaws.com/123456789012/my-queue","MessageBody":"` +
		strings.Repeat("x", 1024-89) + `"}`)
	if len(body) != 1024 {
		b.Fatalf("body is %d bytes", len(body))
	}
	req := clientRequest(b, http.MethodPost, "https://sqs.us-east-1.amazonaws.com/", http.Header{
		"Content-Type":          {"application/x-amz-json-1.0"},
		"X-Amz-Target":          {"AmazonSQS.SendMessage"},
		"Amz-Sdk-Invocation-Id": {"6f1c7a52-8c36-4bb1-9bd2-4f0d1c7c2a11"},
		"Amz-Sdk-Request":       {"attempt=1; max=3"},
	}, body)
	signHeader(b, req, body, testRegion, "sqs", signedAt)
	r, wireBody := wire(b, req)
	v := testVerifier(signedAt)
	ctx := context.Background()

	b.ReportAllocs()
	b.SetBytes(int64(len(wireBody)))
	for b.Loop() {
		if _, err := v.Verify(ctx, r, wireBody); err != nil {
			b.Fatal(err)
		}
	}
}
