package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sluice-mq/sluice/control-plane/jwtauth"
	"github.com/sluice-mq/sluice/sdk/api"
)

// registerJWTKeyFlags adds the flags naming the control plane's JWT key.
func registerJWTKeyFlags(fs *flag.FlagSet, key, file *string) {
	fs.StringVar(key, "jwt-key", "", "control-plane token key: an HS256 secret (hex or base64, at least 32 bytes); prefer --jwt-key-file")
	fs.StringVar(file, "jwt-key-file", "", "file holding the HS256 secret or an Ed25519 private key (PKCS#8 PEM)")
}

// loadJWTKey reads the key from exactly one of --jwt-key and --jwt-key-file.
func loadJWTKey(text, file string) (*jwtauth.Key, error) {
	switch {
	case text != "" && file != "":
		return nil, errors.New("set one of --jwt-key and --jwt-key-file, not both")
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("--jwt-key-file: %w", err)
		}
		text = string(b)
	case text == "":
		return nil, errors.New("the control plane needs its token key: set --jwt-key-file or --jwt-key")
	}
	key, err := jwtauth.ParseKey(text)
	if err != nil {
		return nil, fmt.Errorf("--jwt-key: %w", err)
	}
	return key, nil
}

// tokenUsage is the short usage of `sluice token`.
const tokenUsage = `want "sluice token create --role operator|tenant-admin [--tenant ACCOUNT] [--ttl 24h]" ` +
	`or "sluice token revoke [--endpoint URL] --token TOKEN | --id ID [--expires-at TIME]"`

// runToken mints a control-plane token offline (`sluice token create`) or
// revokes one through the control plane (`sluice token revoke`), which
// keeps the revocations in the store.
func runToken(ctx context.Context, env environment, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "create":
			return runTokenCreate(env, args[1:])
		case "revoke":
			return runTokenRevoke(ctx, env, args[1:])
		case "help", "-h", "-help", "--help":
			fmt.Fprintln(env.stdout, "Usage: sluice token create|revoke [flags]\n\n"+tokenUsage+"\n\nRun \"sluice token create -h\" or \"sluice token revoke -h\" for their flags.")
			return errHelp
		}
	}
	return errors.New(tokenUsage)
}

// keyFlags name the token key: --jwt-key, --jwt-key-file, or the jwt.key of
// a `sluice dev` data directory.
type keyFlags struct {
	data, key, keyFile string
}

func (k *keyFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&k.data, "data", "", "a `sluice dev` data directory: use its jwt.key (when no --jwt-key or --jwt-key-file)")
	registerJWTKeyFlags(fs, &k.key, &k.keyFile)
}

func (k *keyFlags) load() (*jwtauth.Key, error) {
	keyFile := k.keyFile
	if k.key == "" && keyFile == "" {
		dir := k.data
		if dir == "" {
			dir = ".sluice"
		}
		keyFile = filepath.Join(dir, "jwt.key")
	}
	return loadJWTKey(k.key, keyFile)
}

// runTokenCreate mints a token from the key alone. It cannot read the
// store (a running `sluice dev` holds it), so a tenant-admin token names no
// incarnation: it holds only for a tenant created before it was issued.
// POST /v1/tenants/{account}/tokens mints one bound to the tenant instead.
func runTokenCreate(env environment, args []string) error {
	var (
		role, tenant, config string
		ttl                  time.Duration
		keys                 keyFlags
	)
	fs := flag.NewFlagSet("sluice token create", flag.ContinueOnError)
	fs.StringVar(&role, "role", "", "operator (every tenant) or tenant-admin (one account)")
	fs.StringVar(&tenant, "tenant", "", "the account id a tenant-admin token is for")
	fs.DurationVar(&ttl, "ttl", 24*time.Hour, "how long the token is valid")
	keys.register(fs)
	fs.StringVar(&config, "config", "", "YAML file with settings (keys are flag names)")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	key, err := keys.load()
	if err != nil {
		return err
	}
	token, err := key.Mint(jwtauth.Role(strings.ToLower(role)), tenant, ttl, time.Now())
	if err != nil {
		return fmt.Errorf("--role/--tenant/--ttl: %w", err)
	}
	fmt.Fprintln(env.stdout, token)
	return nil
}

const (
	// revokeTimeout bounds the whole revocation call.
	revokeTimeout = 30 * time.Second
	// callerTokenTTL is the life of the operator token `sluice token
	// revoke` mints to authenticate its one call.
	callerTokenTTL = time.Minute
)

// runTokenRevoke asks the control plane at --endpoint to revoke a token,
// authenticating with an operator token it mints from the key: whoever
// holds the key may mint operator tokens anyway.
func runTokenRevoke(ctx context.Context, env environment, args []string) error {
	var (
		endpoint, token, id, expiresAt, config string
		keys                                   keyFlags
	)
	fs := flag.NewFlagSet("sluice token revoke", flag.ContinueOnError)
	fs.StringVar(&endpoint, "endpoint", "http://127.0.0.1:9324", "the control plane's URL")
	fs.StringVar(&token, "token", "", "the token to revoke")
	fs.StringVar(&id, "id", "", "or only its id (the jti claim)")
	fs.StringVar(&expiresAt, "expires-at", "", "with --id: when the token expires (RFC 3339), so the revocation can be dropped then; default 366 days from now")
	keys.register(fs)
	fs.StringVar(&config, "config", "", "YAML file with settings (keys are flag names)")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	var body api.RevokeTokenRequest
	switch {
	case (token == "") == (id == ""):
		return errors.New("set one of --token and --id")
	case token != "" && expiresAt != "":
		return errors.New("--expires-at goes with --id; a token carries its expiry")
	case token != "":
		body.Token = strings.TrimSpace(token)
	default:
		body.ID = id
		if expiresAt != "" {
			at, err := time.Parse(time.RFC3339, expiresAt)
			if err != nil {
				return fmt.Errorf("--expires-at: want an RFC 3339 time such as 2027-01-02T15:04:05Z: %w", err)
			}
			body.ExpiresAt = &at
		}
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--endpoint %q: want http://host:port or https://host:port", endpoint)
	}
	key, err := keys.load()
	if err != nil {
		return err
	}
	caller, err := key.Mint(jwtauth.RoleOperator, "", callerTokenTTL, time.Now())
	if err != nil {
		return fmt.Errorf("operator token: %w", err)
	}
	var rev api.Revocation
	ctx, cancel := context.WithTimeout(ctx, revokeTimeout)
	defer cancel()
	cp := controlPlane{base: strings.TrimSuffix(endpoint, "/"), token: caller}
	if err := cp.call(ctx, http.MethodPost, api.PathRevokeToken, nil, body, &rev); err != nil {
		return fmt.Errorf("--endpoint %s: %w", endpoint, err)
	}
	fmt.Fprintf(env.stdout, "revoked token %s (refused by every node within seconds; the revocation is kept until %s)\n",
		rev.ID, rev.ExpiresAt.Format(time.RFC3339))
	return nil
}
