package sqsauth_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/sigv4"
	"github.com/sluice-mq/sluice/data-plane/sqsapi"
	"github.com/sluice-mq/sluice/data-plane/sqsauth"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
	"github.com/sluice-mq/sluice/tenants"
	"github.com/sluice-mq/sluice/tenants/seal"
)

// signedServer serves the SQS API with real SigV4 checks for regions, on a
// fresh store holding one tenant with one access key.
type signedServer struct {
	*httptest.Server
	engine      *engine.Engine
	account     string
	key, secret string
}

func newSignedServer(t *testing.T, regions ...string) *signedServer {
	t.Helper()
	ctx := context.Background()
	store := kvtest.OpenLocal(t)
	sealer, err := seal.New(seal.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	catalog := tenants.New(store, sealer, tenants.Options{KeyCacheTTL: -1})
	tenant, err := catalog.CreateTenant(ctx, tenants.CreateTenantInput{})
	if err != nil {
		t.Fatal(err)
	}
	key, secret, err := catalog.CreateAccessKey(ctx, tenant.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(store, engine.Options{ReceiptKey: []byte("0123456789abcdef0123456789abcdef"), PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	eng.Start(ctx)
	t.Cleanup(func() { _ = eng.Close() })
	h, err := sqsapi.New(sqsapi.Options{Engine: eng, Catalog: eng.Catalog(), Auth: sqsauth.NewForRegions(catalog, regions, sigv4.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &signedServer{Server: srv, engine: eng, account: tenant.AccountID, key: key.ID, secret: secret}
}
