package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/sluice-mq/sluice/control-plane/jwtauth"
	"github.com/sluice-mq/sluice/control-plane/restapi"
	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/topics"
	blobfs "github.com/sluice-mq/sluice/internal/blob/fs"
	"github.com/sluice-mq/sluice/internal/kv/local"
	"github.com/sluice-mq/sluice/internal/periodic"
	"github.com/sluice-mq/sluice/tenants/seal"
)

// devDefaultListen is SQS emulators' customary port, on loopback only.
const devDefaultListen = "127.0.0.1:9324"

type devFlags struct {
	commonFlags
	data      string
	accessKey string
	secretKey string
	accountID string
	metering  bool
	// pushLoopback is --push-allow-loopback.
	pushLoopback bool
	// cpuProfile, when set, writes a Go CPU profile of the whole run
	// there, for performance work (docs/architecture.md §6).
	cpuProfile string
	telemetryFlags
}

func newDevFlags() (*flag.FlagSet, *devFlags) {
	var f devFlags
	fs := flag.NewFlagSet("sluice dev", flag.ContinueOnError)
	f.register(fs, devDefaultListen, "every AWS commercial region")
	fs.StringVar(&f.data, "data", ".sluice", "directory for the store and blobs; created if missing")
	fs.StringVar(&f.accessKey, "access-key", "", "access key id of the dev tenant (with --secret-key; default: generated once and kept)")
	fs.StringVar(&f.secretKey, "secret-key", "", "secret access key for --access-key")
	fs.StringVar(&f.accountID, "account-id", "", "12-digit account id of the dev tenant, fixed when --data is first used (default: random)")
	fs.BoolVar(&f.metering, "metering", true, meteringUsage)
	fs.BoolVar(&f.pushLoopback, "push-allow-loopback", true, pushLoopbackUsage)
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this file (for performance work)")
	f.registerTelemetry(fs, "")
	return fs, &f
}

// runDev runs every role in one process on the local Pebble store and a
// blob directory, both under --data.
func runDev(ctx context.Context, env environment, args []string) error {
	fs, f := newDevFlags()
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if (f.accessKey == "") != (f.secretKey == "") {
		return errors.New("--access-key and --secret-key go together: set both or neither")
	}
	if f.accountID != "" && !validAccountID(f.accountID) {
		return fmt.Errorf("--account-id %q: want 12 digits, like 000000000000", f.accountID)
	}
	regions, err := f.servedRegions(awsRegions)
	if err != nil {
		return err
	}
	if f.cpuProfile != "" {
		stop, err := startCPUProfile(f.cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	log, err := f.logger(env)
	if err != nil {
		return err
	}
	defer paceGC(env, log)()
	tel, err := f.start(ctx, env)
	if err != nil {
		return err
	}
	defer shutdownTelemetry(tel, log)
	dataDir, err := prepareDataDir(f.data)
	if err != nil {
		return err
	}
	kvDir, blobDir := filepath.Join(dataDir, "kv"), filepath.Join(dataDir, "blobs")
	store, err := local.Open(kvDir, local.Options{Logger: log, Setting: "--data"})
	if err != nil {
		return err
	}
	defer closeLogged(log, "kv store", store.Close)
	blobs, err := blobfs.Open(blobDir)
	if err != nil {
		return fmt.Errorf("blob directory (--data): %w", err)
	}
	defer closeLogged(log, "blob store", blobs.Close)

	masterKey, _, err := seal.LoadOrCreateKeyFile(filepath.Join(dataDir, "master.key"))
	if err != nil {
		return fmt.Errorf("master key (--data): %w", err)
	}
	catalog, err := newCatalog(store, masterKey)
	if err != nil {
		return err
	}
	dp, err := startDataPlane(ctx, store, catalog, masterKey, dataPlaneConfig{
		tiering: engine.TieringOptions{Blobs: blobs, Interval: f.tierInterval}, regions: regions,
		recreateDelay: f.engineRecreateDelay(), soleWriter: true, metering: f.metering,
		telemetry: tel, telFlags: &f.telemetryFlags, kvDriver: "pebble",
		pushAllowLoopback: f.pushLoopback,
	}, log)
	if err != nil {
		return err
	}
	defer dp.close(log)
	tenant, err := ensureDevTenant(ctx, store, catalog, f.accountID, f.accessKey, f.secretKey)
	if err != nil {
		return err
	}
	jwtKey, err := devJWTKey(dataDir)
	if err != nil {
		return err
	}
	operatorToken, err := jwtKey.Mint(jwtauth.RoleOperator, "", devTokenTTL, time.Now())
	if err != nil {
		return fmt.Errorf("operator token: %w", err)
	}

	l, err := listen(f.listen)
	if err != nil {
		return err
	}
	// Billing in-process: invoices on the control plane, the finalizer
	// (under its lease) here; the data plane samples storage.
	biller := newBiller(store, catalog)
	stopBilling := billingLoops(ctx, store, biller, false, log)
	defer stopBilling()
	n := &node{kv: store, blobs: blobs, log: log, sqs: dp.sqs, control: restapi.New(catalog, dp.engine.Catalog(), dp.engine.Stats(), f.region, jwtKey, nil, log).
		WithGate(dp.gate).WithUsage(store).WithBilling(biller).WithTopics(topics.New(store, topics.Options{}))}
	go periodic.Run(ctx, tenantReapInterval, log, "reap deleted tenants", n.control.ReapDeletedTenants)
	if n.console, err = newConsole(jwtKey, f.region, dp.sqsAPI, dp.engine, log); err != nil {
		return err
	}
	consoleLink, err := n.console.SignInLink(operatorToken)
	if err != nil {
		return err
	}
	endpoint := "http://" + l.Addr().String()
	n.telemetry = tel
	metricsURL, err := f.metricsURL(ctx, n, endpoint, tel, log)
	if err != nil {
		return err
	}
	regionsLine := strings.Join(regions, ",")
	if f.regions == "" {
		regionsLine = "every AWS commercial region"
		if !slices.Contains(awsRegions, f.region) {
			regionsLine += " and " + f.region
		}
	}
	regionsLine += " (a client may sign for any; --regions)"
	log.Info("sluice dev started", "endpoint", endpoint, "region", f.region, "regions", regions, "account", tenant.accountID, "store", kvDir, "blobs", blobDir, "metering", f.metering, "metrics", metricsURL, "tracing", tel.Tracing())
	fmt.Fprintf(env.stdout, `Sluice dev is running.
  endpoint:    %[1]s
  region:      %[2]s
  regions:     %[11]s
  account id:  %[3]s
  access key:  %[4]s
  secret key:  %[5]s
  control plane: %[8]s
  operator token: %[10]s
    (a bearer token for the control plane, valid %[9]d days)
  console:     %[1]s%[13]s
    (a one-time sign-in link; or sign in with the operator token)
  health:      %[1]s/healthz
  metrics:     %[12]s
  store:       %[6]s (Pebble, fsync on commit)
  blobs:       %[7]s
Try it with the AWS CLI:
  export AWS_ACCESS_KEY_ID=%[4]s AWS_SECRET_ACCESS_KEY=%[5]s AWS_DEFAULT_REGION=%[2]s
  aws --endpoint-url %[1]s sqs create-queue --queue-name demo
Stop it with Ctrl-C.
`, endpoint, f.region, tenant.accountID, tenant.accessKey, tenant.secretKey, kvDir, blobDir,
		endpoint+restapi.OpenAPIPath, int(devTokenTTL/(24*time.Hour)), operatorToken, regionsLine, metricsURL, consoleLink)
	return serveHTTP(ctx, l, n.routes(), f.http, log)
}

// prepareDataDir creates dir if needed and returns its absolute path. It
// refuses a path that is a file.
func prepareDataDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("--data %q: %w", dir, err)
	}
	info, err := os.Stat(abs)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(abs, 0o750); err != nil {
			return "", fmt.Errorf("--data: create %s: %w", abs, err)
		}
	case err != nil:
		return "", fmt.Errorf("--data: %w", err)
	case !info.IsDir():
		return "", fmt.Errorf("--data: %s is a file, not a directory", abs)
	}
	return abs, nil
}

// devTokenTTL is how long the operator token `sluice dev` prints is valid.
const devTokenTTL = 30 * 24 * time.Hour

// devJWTKey loads the control plane's HS256 key from the data directory,
// creating it on first start; `sluice token create` reads the same file.
func devJWTKey(dataDir string) (*jwtauth.Key, error) {
	secret, _, err := seal.LoadOrCreateKeyFile(filepath.Join(dataDir, "jwt.key"))
	if err != nil {
		return nil, fmt.Errorf("jwt key (--data): %w", err)
	}
	return jwtauth.ParseKey(hex.EncodeToString(secret))
}

// startCPUProfile profiles the process into path until stop is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
