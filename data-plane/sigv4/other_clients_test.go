package sigv4

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

// testdata/clients.json holds requests signed, with the test access key and
// secret, by clients other than aws-sdk-go-v2: botocore (the AWS CLI and
// boto3) through its SQS client and its SigV4 signers, and the AWS SDK for
// JavaScript v3 through its SQS client and its signer. Each was captured as
// raw HTTP/1.1 at the moment it would have been sent.
type clientFixture struct {
	Client string `json:"client"`
	Name   string `json:"name"`
	Raw    string `json:"raw"`
}

func TestVerifyOtherClients(t *testing.T) {
	data, err := os.ReadFile("testdata/clients.json")
	if err != nil {
		t.Fatal(err)
	}
	var fixtures []clientFixture
	if err := json.Unmarshal(data, &fixtures); err != nil {
		t.Fatal(err)
	}
	for _, f := range fixtures {
		t.Run(f.Client+" "+f.Name, func(t *testing.T) {
			r, body := readWire(t, f.Raw)
			date := r.Header.Get("X-Amz-Date")
			if date == "" {
				date = r.URL.Query().Get("X-Amz-Date")
			}
			at, err := time.Parse(amzDateLayout, date)
			if err != nil {
				t.Fatalf("fixture has no date: %v", err)
			}
			v := testVerifier(at.Add(time.Minute))
			id, err := v.Verify(context.Background(), r, body)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if id.AccessKeyID != testKeyID || id.Region != testRegion || !id.Date.Equal(at) {
				t.Fatalf("identity = %+v", id)
			}

			// One changed byte of the signature must fail, or this proves nothing.
			i := strings.LastIndex(f.Raw, "Signature=") + len("Signature=")
			wrong := f.Raw[:i] + string(f.Raw[i]^1) + f.Raw[i+1:]
			r, body = readWire(t, wrong)
			_, err = v.Verify(context.Background(), r, body)
			wantError(t, err, CodeSignatureDoesNotMatch, 403)
		})
	}
}
