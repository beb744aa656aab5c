// Package sqsauth authenticates SQS requests: a SigV4 signature made with
// one of a tenant's active access keys, scoped to one of the regions this
// node serves, by a tenant that is not suspended.
package sqsauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/sluice-mq/sluice/data-plane/sigv4"
	"github.com/sluice-mq/sluice/data-plane/sqsapi"
	"github.com/sluice-mq/sluice/tenants"
)

// Authenticator implements sqsapi.Authenticator over the tenants catalog.
type Authenticator struct {
	catalog  *tenants.Catalog
	verifier *sigv4.Verifier
	regions  map[string]bool
}

// New returns an Authenticator for requests signed for region.
func New(catalog *tenants.Catalog, region string, opts sigv4.Options) *Authenticator {
	return NewForRegions(catalog, []string{region}, opts)
}

// NewForRegions returns an Authenticator for requests signed for any of
// regions; a request's region is the one it was signed for.
func NewForRegions(catalog *tenants.Catalog, regions []string, opts sigv4.Options) *Authenticator {
	a := &Authenticator{catalog: catalog, regions: make(map[string]bool, len(regions))}
	for _, r := range regions {
		a.regions[r] = true
	}
	a.verifier = sigv4.NewVerifier(secrets{catalog}, opts)
	return a
}

// secrets adapts the catalog to sigv4's credential lookup: only active keys
// of tenants that exist can sign.
type secrets struct{ catalog *tenants.Catalog }

func (s secrets) SecretFor(ctx context.Context, id string) (string, error) {
	cred, err := s.catalog.Resolve(ctx, id)
	if errors.Is(err, tenants.ErrAccessKeyNotFound) || errors.Is(err, tenants.ErrInvalidInput) {
		return "", sigv4.ErrUnknownKey
	}
	if err != nil {
		return "", fmt.Errorf("resolve access key: %w", err)
	}
	if cred.KeyStatus != tenants.KeyActive {
		return "", sigv4.ErrUnknownKey
	}
	return cred.Secret, nil
}

// Authenticate verifies the request and names its tenant. A refusal of a
// request signed with an existing key (a wrong signature or region, a
// suspended tenant) still names the key's account, for metering.
func (a *Authenticator) Authenticate(ctx context.Context, r *http.Request, body []byte) (sqsapi.Principal, error) {
	id, err := a.verifier.Verify(ctx, r, body)
	var se *sigv4.Error
	if errors.As(err, &se) {
		we := sqsapi.NewError(se.Code, "%s", se.Message)
		we.Status, we.Server = se.Status, se.Status >= 500
		return a.knownAccount(ctx, se.AccessKeyID), we
	}
	if err != nil {
		return sqsapi.Principal{}, err
	}
	if !a.regions[id.Region] {
		// SQS's words (see sigv4's error sources), trailing space included.
		return a.knownAccount(ctx, id.AccessKeyID), sqsapi.NewError(sigv4.CodeSignatureDoesNotMatch,
			"Credential should be scoped to a valid region, not '%s'. ", id.Region)
	}
	cred, err := a.catalog.Resolve(ctx, id.AccessKeyID)
	if err != nil {
		return sqsapi.Principal{}, fmt.Errorf("resolve access key after verifying: %w", err)
	}
	if cred.TenantStatus != tenants.StatusActive {
		return sqsapi.Principal{AccountID: cred.AccountID}, sqsapi.NewError("AccessDenied", "The account %s is suspended.", cred.AccountID)
	}
	return sqsapi.Principal{AccountID: cred.AccountID, AccessKeyID: id.AccessKeyID, Region: id.Region, Quotas: cred.Quotas}, nil
}

// knownAccount names the account of an existing access key (Resolve is
// cached), in an otherwise empty Principal.
func (a *Authenticator) knownAccount(ctx context.Context, keyID string) sqsapi.Principal {
	if keyID == "" {
		return sqsapi.Principal{}
	}
	cred, err := a.catalog.Resolve(ctx, keyID)
	if err != nil {
		return sqsapi.Principal{}
	}
	return sqsapi.Principal{AccountID: cred.AccountID}
}
