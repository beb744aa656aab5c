package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sluice-mq/sluice/control-plane/jwtauth"
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

type tokenFlags struct {
	role, tenant, data string
	ttl                time.Duration
	key, keyFile       string
	config             string
}

// runToken mints a control-plane token: `sluice token create --role ...`.
func runToken(env environment, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New(`want "sluice token create --role operator|tenant-admin [--tenant ACCOUNT] [--ttl 24h]"`)
	}
	var f tokenFlags
	fs := flag.NewFlagSet("sluice token create", flag.ContinueOnError)
	fs.StringVar(&f.role, "role", "", "operator (every tenant) or tenant-admin (one account)")
	fs.StringVar(&f.tenant, "tenant", "", "the account id a tenant-admin token is for")
	fs.DurationVar(&f.ttl, "ttl", 24*time.Hour, "how long the token is valid")
	fs.StringVar(&f.data, "data", "", "a `sluice dev` data directory: use its jwt.key (when no --jwt-key or --jwt-key-file)")
	registerJWTKeyFlags(fs, &f.key, &f.keyFile)
	fs.StringVar(&f.config, "config", "", "YAML file with settings (keys are flag names)")
	if err := parseFlags(fs, env, args[1:]); err != nil {
		return err
	}
	keyFile := f.keyFile
	if f.key == "" && keyFile == "" {
		dir := f.data
		if dir == "" {
			dir = ".sluice"
		}
		keyFile = filepath.Join(dir, "jwt.key")
	}
	key, err := loadJWTKey(f.key, keyFile)
	if err != nil {
		return err
	}
	role := jwtauth.Role(strings.ToLower(f.role))
	token, err := key.Mint(role, f.tenant, f.ttl, time.Now())
	if err != nil {
		return fmt.Errorf("--role/--tenant/--ttl: %w", err)
	}
	fmt.Fprintln(env.stdout, token)
	return nil
}
