package sigv4

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go/logging"
)

// sdkCanonicalRequest signs req with aws-sdk-go-v2 and returns the canonical
// request it logged.
func sdkCanonicalRequest(t *testing.T, req *http.Request, payload string) string {
	t.Helper()
	var logged string
	signer := v4.NewSigner(func(o *v4.SignerOptions) {
		o.LogSigning = true
		o.Logger = logging.LoggerFunc(func(_ logging.Classification, format string, args ...any) {
			logged = fmt.Sprintf(format, args...)
		})
	})
	if err := signer.SignHTTP(context.Background(), testCredentials, req, payload, "sqs", testRegion, signedAt); err != nil {
		t.Fatal(err)
	}
	_, canonical, ok := strings.Cut(logged, "---[ CANONICAL STRING  ]-----------------------------\n")
	canonical, _, ok2 := strings.Cut(canonical, "\n---[ STRING TO SIGN ]")
	if !ok || !ok2 {
		t.Fatalf("no canonical request in the signer's log:\n%s", logged)
	}
	return canonical
}

// The first canonical form the verifier tries is, byte for byte, the one
// aws-sdk-go-v2 signed: a failure here shows which line differs.
func TestCanonicalRequestMatchesSDK(t *testing.T) {
	for _, s := range sdkRequests {
		t.Run(s.name, func(t *testing.T) {
			req, body := s.build(t)
			want := sdkCanonicalRequest(t, req, payloadHash(body))
			r, wireBody := wire(t, req)

			c, err := testVerifier(signedAt).parseClaim(r, parseQuery(r.URL.RawQuery, true))
			if err != nil {
				t.Fatal(err)
			}
			got := string(canonicalRequest(r.Method,
				canonicalURIs(wirePath(r))[0],
				canonicalQueries(r.URL.RawQuery, parseQuery(r.URL.RawQuery, true), "")[0],
				canonicalHeaders(r, c.signedHeaders),
				c.signedHeadersText,
				payloadHash(wireBody)))
			if got != want {
				t.Fatalf("canonical request differs\n--- ours\n%s\n--- aws-sdk-go-v2\n%s", got, want)
			}
		})
	}
}

func TestURIEncode(t *testing.T) {
	for _, tc := range []struct{ in, path, query string }{
		{"-._~AZaz09", "-._~AZaz09", "-._~AZaz09"},
		{"/123456789012/my-queue", "/123456789012/my-queue", "%2F123456789012%2Fmy-queue"},
		{"a b+c", "a%20b%2Bc", "a%20b%2Bc"},
		{"%2F", "%252F", "%252F"},
		{"✓", "%E2%9C%93", "%E2%9C%93"},
		{"=&?#:$@!*'()", "%3D%26%3F%23%3A%24%40%21%2A%27%28%29", "%3D%26%3F%23%3A%24%40%21%2A%27%28%29"},
		{"\x00\xff", "%00%FF", "%00%FF"},
	} {
		if got := uriEncode(tc.in, true); got != tc.path {
			t.Errorf("uriEncode(%q, path) = %q, want %q", tc.in, got, tc.path)
		}
		if got := uriEncode(tc.in, false); got != tc.query {
			t.Errorf("uriEncode(%q, query) = %q, want %q", tc.in, got, tc.query)
		}
	}
}

func TestCanonicalURIs(t *testing.T) {
	for _, tc := range []struct {
		path string
		want []string
	}{
		{"", []string{"/"}},
		{"/", []string{"/"}},
		{"/123456789012/my-queue", []string{"/123456789012/my-queue"}},
		{"/a%20b", []string{"/a%2520b"}},
		{"/.hidden/x", []string{"/.hidden/x"}},
		{"//example//", []string{"//example//", "/example/"}},
		{"/example1/example2/../..", []string{"/example1/example2/../..", "/"}},
		{"/./example", []string{"/./example", "/example"}},
		{"/../../a", []string{"/../../a", "/a"}},
	} {
		if got := canonicalURIs(tc.path); !slices.Equal(got, tc.want) {
			t.Errorf("canonicalURIs(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
}

func TestCanonicalQueries(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		skip string
		want []string
	}{
		{"", "", []string{""}},
		{"Param2=value2&Param1=value1", "", []string{"Param1=value1&Param2=value2"}},
		// Sorted after encoding: '%' (0x25) sorts before '.' (0x2E).
		{"x=a.b&x=a%2Fb", "", []string{"x=a%2Fb&x=a.b"}},
		{"a=10&a=9&a=10", "", []string{"a=10&a=10&a=9"}},
		{"b&a=1&&c=", "", []string{"a=1&b=&c="}},
		{"a=1=2", "", []string{"a=1%3D2"}},
		{"q=a%20b", "", []string{"q=a%20b"}},
		{"q=a+b", "", []string{"q=a%20b", "q=a%2Bb"}},
		{"q=%zz%4", "", []string{"q=%25zz%254"}},
		{"q=%e2%9c%93", "", []string{"q=%E2%9C%93"}},
		{"k;x=1", "", []string{"k%3Bx=1"}},
		{"X-Amz-Signature=abc&Action=List", paramSignature, []string{"Action=List"}},
	} {
		got := canonicalQueries(tc.raw, parseQuery(tc.raw, true), tc.skip)
		if !slices.Equal(got, tc.want) {
			t.Errorf("canonicalQueries(%q) = %q, want %q", tc.raw, got, tc.want)
		}
	}
}

func TestWirePath(t *testing.T) {
	for _, tc := range []struct {
		requestURI, url, want string
	}{
		{"/123456789012/q?Action=x", "", "/123456789012/q"},
		{"/a%2Fb", "", "/a%2Fb"},
		{"http://sqs.local:4566/123/q?x=1", "", "/123/q"},
		{"http://sqs.local", "", "/"},
		{"", "https://sqs.local/a%2Fb/c%20d", "/a%2Fb/c%20d"},
	} {
		r := &http.Request{RequestURI: tc.requestURI, URL: &url.URL{}}
		if tc.url != "" {
			u, err := url.Parse(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			r.URL = u
		}
		if got := wirePath(r); got != tc.want {
			t.Errorf("wirePath(%q, %q) = %q, want %q", tc.requestURI, tc.url, got, tc.want)
		}
	}
}

func TestCanonicalHeaders(t *testing.T) {
	r := &http.Request{
		Host:          "sqs.local:4566",
		URL:           &url.URL{},
		ContentLength: 42,
		Header: http.Header{
			"X-Multi":   {" a   b ", "c\t"},
			"X-Amz-Foo": {"bar"},
			"X-Empty":   {""},
		},
		TransferEncoding: []string{"chunked"},
	}
	got := canonicalHeaders(r, []string{"content-length", "host", "transfer-encoding", "x-amz-foo", "x-empty", "x-missing", "X-Multi"})
	want := "content-length:42\nhost:sqs.local:4566\ntransfer-encoding:chunked\nx-amz-foo:bar\nx-empty:\nx-missing:\nx-multi:a b,c\n"
	if got != want {
		t.Fatalf("canonicalHeaders =\n%s\nwant\n%s", got, want)
	}
}
