package sqsauth_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/sluice-mq/sluice/data-plane/sigv4"
	"github.com/sluice-mq/sluice/data-plane/sqsapi"
	"github.com/sluice-mq/sluice/data-plane/sqsauth"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
	"github.com/sluice-mq/sluice/tenants"
	"github.com/sluice-mq/sluice/tenants/seal"
)

func TestAuthenticate(t *testing.T) {
	ctx := context.Background()
	sealer, err := seal.New(seal.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	catalog := tenants.New(kvtest.OpenLocal(t), sealer, tenants.Options{KeyCacheTTL: -1})
	tenant, err := catalog.CreateTenant(ctx, tenants.CreateTenantInput{})
	if err != nil {
		t.Fatal(err)
	}
	key, secret, err := catalog.CreateAccessKey(ctx, tenant.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	auth := sqsauth.New(catalog, "eu-west-1", sigv4.Options{})

	signed := func(region, secret string) *http.Request {
		body := `{"QueueName":"q"}`
		req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:9324/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", "AmazonSQS.GetQueueUrl")
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		sum := sha256.Sum256([]byte(body))
		creds := aws.Credentials{AccessKeyID: key.ID, SecretAccessKey: secret}
		if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "sqs", region, time.Now()); err != nil {
			t.Fatal(err)
		}
		return req
	}
	check := func(req *http.Request, code string) sqsapi.Principal {
		t.Helper()
		p, err := auth.Authenticate(ctx, req, []byte(`{"QueueName":"q"}`))
		var we *sqsapi.Error
		switch {
		case code == "" && err != nil:
			t.Fatalf("refused: %v", err)
		case code != "" && (!errors.As(err, &we) || we.Code != code):
			t.Fatalf("want %s, got %v", code, err)
		}
		return p
	}

	p := check(signed("eu-west-1", secret), "")
	if p.AccountID != tenant.AccountID || p.AccessKeyID != key.ID || p.Region != "eu-west-1" {
		t.Fatalf("principal = %+v", p)
	}
	check(signed("us-east-1", secret), "SignatureDoesNotMatch")
	check(signed("eu-west-1", "wrong"+secret), "SignatureDoesNotMatch")

	if _, err := catalog.SetTenantStatus(ctx, tenant.AccountID, tenants.StatusSuspended); err != nil {
		t.Fatal(err)
	}
	check(signed("eu-west-1", secret), "AccessDenied")
	if _, err := catalog.SetTenantStatus(ctx, tenant.AccountID, tenants.StatusActive); err != nil {
		t.Fatal(err)
	}
	if _, err := catalog.SetAccessKeyStatus(ctx, tenant.AccountID, key.ID, tenants.KeyInactive); err != nil {
		t.Fatal(err)
	}
	check(signed("eu-west-1", secret), "InvalidClientTokenId")
}
