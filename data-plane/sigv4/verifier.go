package sigv4

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// ErrUnknownKey is what a CredentialStore returns (or wraps) for an access
// key that does not exist or is disabled.
var ErrUnknownKey = errors.New("sigv4: unknown access key")

// CredentialStore looks up the secret of an access key.
type CredentialStore interface {
	// SecretFor returns the secret access key, or an error wrapping
	// ErrUnknownKey when the key does not exist or is disabled. Any other
	// error is an outage and becomes InternalFailure.
	SecretFor(ctx context.Context, accessKeyID string) (secret string, err error)
}

// Options configures a Verifier. Zero values take the defaults.
type Options struct {
	// Service is the signing name the credential scope must carry: "sqs".
	Service string
	// Clock returns the current time: time.Now.
	Clock func() time.Time
	// MaxSkew is how far the request time may be from ours, either way:
	// 15 minutes, the window SQS enforces (its "Signature expired: ... (...
	// - 15 min.)" answers in aws/aws-sdk-php#642 and aws/aws-sdk-go#487).
	MaxSkew time.Duration
	// MaxPresignExpiry caps X-Amz-Expires on presigned URLs: 7 days, as S3.
	MaxPresignExpiry time.Duration
	// KeyCacheSize bounds the derived signing keys kept: 1024.
	KeyCacheSize int
}

// Identity is who signed a verified request, and for what.
type Identity struct {
	AccessKeyID string
	Region      string
	Service     string
	// Date is when the request says it was signed.
	Date time.Time
	// UnsignedPayload is true when the signature does not cover the body:
	// it was signed as UNSIGNED-PAYLOAD.
	UnsignedPayload bool
}

// Verifier checks SigV4 signatures. It is safe for concurrent use.
type Verifier struct {
	creds            CredentialStore
	service          string
	clock            func() time.Time
	maxSkew          time.Duration
	maxPresignExpiry time.Duration
	keys             *signingKeyCache
}

// NewVerifier returns a Verifier that looks secrets up in creds.
func NewVerifier(creds CredentialStore, opts Options) *Verifier {
	if creds == nil {
		panic("sigv4: NewVerifier needs a CredentialStore")
	}
	v := &Verifier{
		creds:            creds,
		service:          opts.Service,
		clock:            opts.Clock,
		maxSkew:          opts.MaxSkew,
		maxPresignExpiry: opts.MaxPresignExpiry,
	}
	if v.service == "" {
		v.service = "sqs"
	}
	if v.clock == nil {
		v.clock = time.Now
	}
	if v.maxSkew <= 0 {
		v.maxSkew = 15 * time.Minute
	}
	if v.maxPresignExpiry <= 0 {
		v.maxPresignExpiry = 7 * 24 * time.Hour
	}
	size := opts.KeyCacheSize
	if size <= 0 {
		size = 1024
	}
	v.keys = newSigningKeyCache(size)
	return v
}

// Verify checks the signature of r, whose whole body has already been read
// into body. It returns who signed, or an *Error saying what SQS would answer.
func (v *Verifier) Verify(ctx context.Context, r *http.Request, body []byte) (Identity, error) {
	query := parseQuery(r.URL.RawQuery, true)
	c, err := v.parseClaim(r, query)
	if err != nil {
		return Identity{}, err
	}
	if err := checkSignedHeaders(r, c); err != nil {
		return Identity{}, err
	}
	if err := v.checkScope(c); err != nil {
		return Identity{}, err
	}
	if err := v.checkTime(c); err != nil {
		return Identity{}, err
	}
	if r.Header.Get(paramSecurityToken) != "" || hasParam(query, paramSecurityToken) {
		return Identity{}, invalidClientToken() // see the package doc: no STS
	}
	secret, err := v.secretFor(ctx, c.accessKeyID)
	if err != nil {
		return Identity{}, err
	}
	unsigned, err := v.checkSignature(r, query, body, c, secret)
	if err != nil {
		if e, ok := err.(*Error); ok {
			e.AccessKeyID = c.accessKeyID
		}
		return Identity{}, err
	}
	return Identity{
		AccessKeyID:     c.accessKeyID,
		Region:          c.region,
		Service:         c.service,
		Date:            c.signedAt,
		UnsignedPayload: unsigned,
	}, nil
}

// parseClaim finds the signature in the Authorization header or the query
// string; a request must use exactly one of them.
func (v *Verifier) parseClaim(r *http.Request, query []queryParam) (*claim, error) {
	authorization, hasHeader := r.Header["Authorization"]
	presigned := hasParam(query, paramAlgorithm) || hasParam(query, paramCredential) ||
		hasParam(query, paramSignature) || hasParam(query, paramSignedHeaders)
	switch {
	case hasHeader && presigned:
		return nil, incomplete("Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, " +
			"Signature query string parameter or the Authorization header should be specified")
	case hasHeader && len(authorization) > 1:
		return nil, incomplete("Only one Authorization header allowed.")
	case hasHeader:
		return parseAuthorizationHeader(r, authorization[0])
	case presigned:
		return parsePresigned(query, v.maxPresignExpiry)
	default:
		return nil, missingAuthentication()
	}
}

// checkSignedHeaders insists on the headers a replayed signature must not be
// able to change: Host (AWS's rule) and X-Amz-Target, which picks the action
// of a JSON request (our rule; every SDK signs it).
func checkSignedHeaders(r *http.Request, c *claim) error {
	if !c.signs("host") {
		return incomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}
	if r.Header.Get("X-Amz-Target") != "" && !c.signs("x-amz-target") {
		return incomplete("'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.")
	}
	return nil
}

// validRegion checks the shape of a region name ("us-east-1"): lower-case
// words of letters and digits joined by single hyphens. Which regions a
// tenant may use is the caller's business, from Identity.Region.
func validRegion(region string) bool {
	if region == "" || len(region) > 64 || region[0] == '-' || region[len(region)-1] == '-' {
		return false
	}
	for i := 0; i < len(region); i++ {
		c := region[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == '-' && region[i-1] != '-':
		default:
			return false
		}
	}
	return true
}

// checkScope checks the credential scope against the request and ours. SQS
// answers a bad scope with SignatureDoesNotMatch [sqs-wire].
func (v *Verifier) checkScope(c *claim) error {
	switch {
	case c.terminator != scopeTerminator:
		return mismatch("Credential should be scoped with a valid terminator: '%s', not '%s'. ", scopeTerminator, echo(c.terminator))
	case c.service != v.service:
		return mismatch("Credential should be scoped to correct service: '%s'. ", v.service)
	case !validRegion(c.region):
		return mismatch("Credential should be scoped to a valid region, not '%s'. ", echo(c.region))
	case c.scopeDate != c.amzDate[:8]:
		return mismatch("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
			echo(c.scopeDate), c.amzDate[:8], c.dateSource)
	case c.accessKeyID == "":
		return invalidClientToken()
	}
	return nil
}

// checkTime refuses a request signed outside the skew window or, for a
// presigned URL with X-Amz-Expires, after it expired.
func (v *Verifier) checkTime(c *claim) error {
	now := v.clock()
	if c.signedAt.After(now.Add(v.maxSkew)) {
		return signatureNotYetCurrent(c.signedAt, now, v.maxSkew)
	}
	window := v.maxSkew
	if c.hasExpires {
		window = c.expires
	}
	if c.signedAt.Before(now.Add(-window)) {
		return signatureExpired(c.signedAt, now, window)
	}
	return nil
}

func (v *Verifier) secretFor(ctx context.Context, accessKeyID string) (string, error) {
	secret, err := v.creds.SecretFor(ctx, accessKeyID)
	switch {
	case errors.Is(err, ErrUnknownKey):
		return "", invalidClientToken()
	case err != nil:
		return "", internalFailure(fmt.Errorf("looking up access key %q: %w", accessKeyID, err))
	}
	return secret, nil
}

// checkSignature rebuilds the canonical request in each form a real client
// may have signed (see canonicalURIs, canonicalQueries, payloadHashes) and
// compares signatures in constant time. It reports whether the matching form
// left the body unsigned.
func (v *Verifier) checkSignature(r *http.Request, query []queryParam, body []byte, c *claim, secret string) (bool, error) {
	provided, err := hex.DecodeString(c.signature)
	if err != nil || len(provided) != sha256.Size {
		return false, signatureDoesNotMatch()
	}
	payloads, err := payloadHashes(r, query, body, c)
	if err != nil {
		return false, err
	}

	skip := ""
	if c.presigned {
		skip = paramSignature
	}
	uris := canonicalURIs(wirePath(r))
	queries := canonicalQueries(r.URL.RawQuery, query, skip)
	headers := canonicalHeaders(r, c.signedHeaders)
	scope := c.scope()

	id := scopeKey{accessKeyID: c.accessKeyID, date: c.scopeDate, region: c.region, service: c.service}
	key, cached := v.keys.get(id, secret)
	if !cached {
		key = deriveSigningKey(secret, c.scopeDate, c.region, c.service)
	}
	for _, payload := range payloads {
		for _, uri := range uris {
			for _, q := range queries {
				hash := sha256.Sum256(canonicalRequest(r.Method, uri, q, headers, c.signedHeadersText, payload))
				if hmac.Equal(sign(key[:], c.amzDate, scope, hash), provided) {
					if !cached { // only keys that verified something earn a place
						v.keys.put(id, secret, key)
					}
					return payload == unsignedPayload, nil
				}
			}
		}
	}
	return false, signatureDoesNotMatch()
}

// payloadHashes returns the payload hashes the client may have signed. A
// signed X-Amz-Content-Sha256 header (or, presigned, query parameter) is
// what the client used; unless it is UNSIGNED-PAYLOAD it must be the body's.
// Without one the body's hash is used, and a presigned URL may also have
// been signed as UNSIGNED-PAYLOAD, as botocore always does.
func payloadHashes(r *http.Request, query []queryParam, body []byte, c *claim) ([]string, error) {
	sum := sha256.Sum256(body)
	bodyHash := hex.EncodeToString(sum[:])

	declared, ok := "", false
	if c.signs("x-amz-content-sha256") {
		declared, ok = r.Header.Get(paramContentSHA256), true
	} else if c.presigned {
		declared, ok = paramValue(query, paramContentSHA256)
	}
	switch {
	case ok && declared != unsignedPayload && !strings.EqualFold(declared, bodyHash):
		return nil, mismatch("The provided 'x-amz-content-sha256' header does not match what was computed.")
	case ok:
		return []string{declared}, nil
	case c.presigned:
		return []string{bodyHash, unsignedPayload}, nil
	default:
		return []string{bodyHash}, nil
	}
}

func hasParam(params []queryParam, key string) bool {
	_, ok := paramValue(params, key)
	return ok
}

func paramValue(params []queryParam, key string) (string, bool) {
	for _, p := range params {
		if p.key == key {
			return p.value, true
		}
	}
	return "", false
}
