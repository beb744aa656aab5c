package sqsauth_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"sync"
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

// A quota change made through one node's catalog reaches another node's
// requests once its key cache's TTL has passed (by node B's clock, a fake
// one: no wall-clock bound for a loaded machine to miss).
func TestQuotaChangeReachesAnotherNode(t *testing.T) {
	ctx := context.Background()
	store := kvtest.OpenLocal(t)
	sealer, err := seal.New(seal.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	const ttl = 2 * time.Second
	var mu sync.Mutex
	now := time.Now()
	clockB := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advanceB := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	nodeA := tenants.New(store, sealer, tenants.Options{KeyCacheTTL: ttl})
	nodeB := tenants.New(store, sealer, tenants.Options{KeyCacheTTL: ttl, Clock: clockB})
	tenant, err := nodeA.CreateTenant(ctx, tenants.CreateTenantInput{})
	if err != nil {
		t.Fatal(err)
	}
	key, secret, err := nodeA.CreateAccessKey(ctx, tenant.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	authB := sqsauth.New(nodeB, "us-east-1", sigv4.Options{})
	principal := func() sqsapi.Principal {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:9324/", strings.NewReader("{}"))
		req.Header.Set("X-Amz-Target", "AmazonSQS.ListQueues")
		sum := sha256.Sum256([]byte("{}"))
		creds := aws.Credentials{AccessKeyID: key.ID, SecretAccessKey: secret}
		if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "sqs", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		p, err := authB.Authenticate(ctx, req, []byte("{}"))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	if got := principal().Quotas.SendPerSecond; got != 3000 {
		t.Fatalf("default send rate %v", got)
	}
	if _, err := nodeA.SetTenantPlan(ctx, tenant.AccountID, nil, &tenants.Quotas{SendPerSecond: 5}); err != nil {
		t.Fatal(err)
	}
	// Within the TTL node B may answer from its cache; past it, it must
	// read the change (the bound is the TTL itself, on B's clock).
	advanceB(ttl / 2)
	if got := principal().Quotas.SendPerSecond; got != 3000 && got != 5 {
		t.Fatalf("send rate %v within the TTL", got)
	}
	advanceB(ttl)
	if got := principal().Quotas.SendPerSecond; got != 5 {
		t.Fatalf("node B still on send rate %v a TTL after the change", got)
	}
}
