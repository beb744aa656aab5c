package sigv4

import (
	"context"
	"encoding/hex"
	"strings"
	"testing"
	"time"
)

// Known answers published by AWS, so the verifier is checked against AWS and
// not only against one SDK. The requests are the raw HTTP of AWS's SigV4 test
// suite (aws-sig-v4-test-suite: access key AKIDEXAMPLE, service "service",
// us-east-1, 20150830T123600Z) and of the IAM ListUsers example in the IAM
// User Guide ("Create a signed AWS API request").
const (
	exampleKeyID  = "AKIDEXAMPLE"
	exampleSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
)

var exampleTime = time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)

type knownAnswer struct {
	name    string
	service string
	// request is the raw request without Authorization; signedHeaders and
	// signature complete it.
	request       string
	signedHeaders string
	signature     string
}

var knownAnswers = []knownAnswer{
	{name: "get-vanilla", request: "GET / HTTP/1.1\r\nHost:example.amazonaws.com\r\n",
		signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
	{name: "post-vanilla", request: "POST / HTTP/1.1\r\nHost:example.amazonaws.com\r\n",
		signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
	{name: "get-vanilla-query-order-key-case", request: "GET /?Param2=value2&Param1=value1 HTTP/1.1\r\nHost:example.amazonaws.com\r\n",
		signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
	{name: "get-vanilla-query-order-value", request: "GET /?Param1=value2&Param1=value1 HTTP/1.1\r\nHost:example.amazonaws.com\r\n",
		signature: "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"},
	{name: "get-vanilla-utf8-query", request: "GET /?ሴ=bar HTTP/1.1\r\nHost:example.amazonaws.com\r\n",
		signature: "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
	{name: "get-utf8", request: "GET /ሴ HTTP/1.1\r\nHost:example.amazonaws.com\r\n",
		signature: "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
	{name: "get-unreserved", request: "GET /-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz HTTP/1.1\r\nHost:example.amazonaws.com\r\n",
		signature: "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
	// Signed normalised ("/example/"), as botocore and the JavaScript SDK do...
	{name: "normalize-path/get-slashes", request: "GET //example// HTTP/1.1\r\nHost:example.amazonaws.com\r\n",
		signature: "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"},
	// ...and as sent, as aws-sdk-go-v2 does.
	{name: "get-slashes-unnormalized", request: "GET //example// HTTP/1.1\r\nHost:example.amazonaws.com\r\n",
		signature: "87cca117541a147f6df867677d98a7d80dff226d2bfca9e4ffa899665623c7e5"},
	// Normalises to "/", so its canonical request, and signature, are get-vanilla's.
	{name: "normalize-path/get-relative-relative", request: "GET /example1/example2/../.. HTTP/1.1\r\nHost:example.amazonaws.com\r\n",
		signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
	{name: "get-header-key-duplicate",
		request:       "GET / HTTP/1.1\r\nHost:example.amazonaws.com\r\nMy-Header1:value2\r\nMy-Header1:value2\r\nMy-Header1:value1\r\n",
		signedHeaders: "host;my-header1;x-amz-date",
		signature:     "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
	{name: "get-header-value-order",
		request:       "GET / HTTP/1.1\r\nHost:example.amazonaws.com\r\nMy-Header1:value4\r\nMy-Header1:value1\r\nMy-Header1:value3\r\nMy-Header1:value2\r\n",
		signedHeaders: "host;my-header1;x-amz-date",
		signature:     "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"},
	{name: "get-header-value-trim",
		request:       "GET / HTTP/1.1\r\nHost:example.amazonaws.com\r\nMy-Header1: value1\r\nMy-Header2: \"a   b   c\"\r\n",
		signedHeaders: "host;my-header1;my-header2;x-amz-date",
		signature:     "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
	{name: "post-x-www-form-urlencoded",
		request:       "POST / HTTP/1.1\r\nHost:example.amazonaws.com\r\nContent-Type:application/x-www-form-urlencoded\r\nContent-Length:13\r\n",
		signedHeaders: "content-type;host;x-amz-date",
		signature:     "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
	{name: "IAM ListUsers example", service: "iam",
		request:       "GET /?Action=ListUsers&Version=2010-05-08 HTTP/1.1\r\nHost:iam.amazonaws.com\r\nContent-Type:application/x-www-form-urlencoded; charset=utf-8\r\n",
		signedHeaders: "content-type;host;x-amz-date",
		signature:     "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"},
}

func (k knownAnswer) raw(signature string) string {
	service, signedHeaders := k.service, k.signedHeaders
	if service == "" {
		service = "service"
	}
	if signedHeaders == "" {
		signedHeaders = "host;x-amz-date"
	}
	body := ""
	if strings.Contains(k.request, "Content-Length:13") {
		body = "Param1=value1"
	}
	return k.request +
		"X-Amz-Date:20150830T123600Z\r\n" +
		"Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/" + service + "/aws4_request, " +
		"SignedHeaders=" + signedHeaders + ", Signature=" + signature + "\r\n\r\n" + body
}

func TestVerifyKnownAnswers(t *testing.T) {
	for _, k := range knownAnswers {
		t.Run(k.name, func(t *testing.T) {
			service := k.service
			if service == "" {
				service = "service"
			}
			v := NewVerifier(staticStore{exampleKeyID: exampleSecret},
				Options{Service: service, Clock: func() time.Time { return exampleTime }})

			r, body := readWire(t, k.raw(k.signature))
			id, err := v.Verify(context.Background(), r, body)
			if err != nil {
				t.Fatalf("published signature refused: %v", err)
			}
			if id.AccessKeyID != exampleKeyID || id.Region != "us-east-1" || id.Service != service || !id.Date.Equal(exampleTime) {
				t.Fatalf("identity = %+v", id)
			}

			// The same request with any other signature must fail, or the
			// test above proves nothing.
			wrong := []byte(k.signature)
			wrong[0] ^= 1
			r, body = readWire(t, k.raw(string(wrong)))
			_, err = v.Verify(context.Background(), r, body)
			wantError(t, err, CodeSignatureDoesNotMatch, 403)
		})
	}
}

// The signing key of the IAM example, published on its own in the IAM User
// Guide, pins the four-HMAC derivation.
func TestDeriveSigningKeyKnownAnswer(t *testing.T) {
	key := deriveSigningKey(exampleSecret, "20150830", "us-east-1", "iam")
	const want = "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
	if got := hex.EncodeToString(key[:]); got != want {
		t.Fatalf("signing key = %s, want %s", got, want)
	}
}

// The 2011 edition of AWS's test suite dates its requests with the Date
// header alone (service "host"), which SigV4 still allows.
func TestVerifyKnownAnswerDateHeader(t *testing.T) {
	v := NewVerifier(staticStore{exampleKeyID: exampleSecret}, Options{
		Service: "host",
		Clock:   func() time.Time { return time.Date(2011, 9, 9, 23, 36, 0, 0, time.UTC) },
	})
	for _, path := range []string{"/", "/foo/.."} {
		for signature, code := range map[string]string{
			"b27ccfbfa7df52a200ff74193ca6e32d4b48b8856fab7ebf1c595d0670a7e470": "",
			"b27ccfbfa7df52a200ff74193ca6e32d4b48b8856fab7ebf1c595d0670a7e471": CodeSignatureDoesNotMatch,
		} {
			r, body := readWire(t, "GET "+path+" HTTP/1.1\r\nDate:Mon, 09 Sep 2011 23:36:00 GMT\r\nHost:host.foo.com\r\n"+
				"Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20110909/us-east-1/host/aws4_request, "+
				"SignedHeaders=date;host, Signature="+signature+"\r\n\r\n")
			_, err := v.Verify(context.Background(), r, body)
			if code == "" && err != nil {
				t.Fatalf("%s: published signature refused: %v", path, err)
			}
			if code != "" {
				wantError(t, err, code, 403)
			}
		}
	}
}
