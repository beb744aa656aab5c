package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/sluice-mq/sluice/control-plane/jwtauth"
	"github.com/sluice-mq/sluice/control-plane/restapi"
	"github.com/sluice-mq/sluice/data-plane/admission"
	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqsapi"
	"github.com/sluice-mq/sluice/data-plane/sqsotel"
	"github.com/sluice-mq/sluice/data-plane/topics"
	"github.com/sluice-mq/sluice/internal/blob"
	"github.com/sluice-mq/sluice/internal/blob/s3"
	"github.com/sluice-mq/sluice/internal/config"
	"github.com/sluice-mq/sluice/internal/kv/tikv"
	"github.com/sluice-mq/sluice/internal/periodic"
	"github.com/sluice-mq/sluice/tenants"
	"github.com/sluice-mq/sluice/tenants/seal"
)

// defaultServeMetricsAddr is the admin port of /metrics on production
// nodes (the OpenTelemetry Prometheus exporter's customary port), apart
// from the tenants' SQS listener.
const defaultServeMetricsAddr = ":9464"

// roles a node may take. all is data-plane, control-plane and billing in
// one process.
var roles = []string{"all", "data-plane", "control-plane", "billing"}

type serveFlags struct {
	commonFlags
	role        string
	pd          string
	pdTimeout   time.Duration
	s3Endpoint  string
	s3Bucket    string
	s3AccessKey string
	s3SecretKey string
	s3Region    string
	s3Prefix    string
	s3Secure    bool
	s3Timeout   time.Duration
	masterKey   string
	masterFile  string
	jwtKey      string
	jwtKeyFile  string
	metering    bool
	// pushLoopback is --push-allow-loopback.
	pushLoopback bool
	telemetryFlags
}

func newServeFlags() (*flag.FlagSet, *serveFlags) {
	var f serveFlags
	fs := flag.NewFlagSet("sluice serve", flag.ContinueOnError)
	f.register(fs, ":9324", "--region alone")
	fs.StringVar(&f.role, "role", "all", "what this node does: "+strings.Join(roles, ", "))
	fs.StringVar(&f.pd, "pd", "", "TiKV PD addresses, comma-separated host:port")
	fs.DurationVar(&f.pdTimeout, "pd-timeout", 10*time.Second, "how long to try reaching PD at startup")
	fs.StringVar(&f.s3Endpoint, "s3-endpoint", "", "S3-compatible endpoint host:port for cold message bodies")
	fs.StringVar(&f.s3Bucket, "s3-bucket", "", "bucket for cold message bodies")
	fs.StringVar(&f.s3AccessKey, "s3-access-key", "", "S3 access key")
	fs.StringVar(&f.s3SecretKey, "s3-secret-key", "", "S3 secret key")
	fs.StringVar(&f.s3Region, "s3-region", "", "S3 region (empty: ask the server)")
	fs.StringVar(&f.s3Prefix, "s3-prefix", "", "key prefix inside the bucket")
	fs.BoolVar(&f.s3Secure, "s3-secure", true, "use HTTPS for S3")
	fs.DurationVar(&f.s3Timeout, "s3-timeout", 10*time.Second, "how long to try reaching S3 at startup")
	fs.StringVar(&f.masterKey, "master-key", "", "32-byte key sealing access-key secrets, as 64 hex digits or base64; the same on every node")
	fs.StringVar(&f.masterFile, "master-key-file", "", "file holding --master-key")
	registerJWTKeyFlags(fs, &f.jwtKey, &f.jwtKeyFile)
	fs.BoolVar(&f.metering, "metering", true, meteringUsage)
	fs.BoolVar(&f.pushLoopback, "push-allow-loopback", false, pushLoopbackUsage)
	f.registerTelemetry(fs, defaultServeMetricsAddr)
	return fs, &f
}

// runServe runs a production node on TiKV and S3-compatible storage.
func runServe(ctx context.Context, env environment, args []string) error {
	fs, f := newServeFlags()
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if !slices.Contains(roles, f.role) {
		return fmt.Errorf("--role %q: want one of %s", f.role, strings.Join(roles, ", "))
	}
	regions, err := f.servedRegions(nil)
	if err != nil {
		return err
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
	dataPlane := f.role == "all" || f.role == "data-plane"
	controlPlane := f.role == "all" || f.role == "control-plane"
	// The billing role needs only the store: it reads tenants (no
	// secrets, so no master key) and usage, and writes usage samples,
	// invoices and its leases.
	billingRole := f.role == "all" || f.role == "billing"
	var (
		masterKey []byte // the planes that read or write access-key secrets
		jwtKey    *jwtauth.Key
	)
	if dataPlane || controlPlane {
		if masterKey, err = f.loadMasterKey(); err != nil {
			return err
		}
	}
	if controlPlane {
		if f.jwtKeyFile != "" {
			// A token key others can read lets them mint operator tokens.
			if err := checkPrivateFile("jwt-key-file", "jwt-key", f.jwtKeyFile); err != nil {
				return err
			}
		}
		if jwtKey, err = loadJWTKey(f.jwtKey, f.jwtKeyFile); err != nil {
			return err
		}
	}
	store, err := openKV(ctx, tikv.Config{
		PDAddrs:        splitList(f.pd),
		ConnectTimeout: f.pdTimeout,
		Options:        tikv.Options{Logger: log},
	})
	if err != nil {
		return err
	}
	defer closeLogged(log, "kv store", store.Close)

	var blobs blob.Store
	if f.role == "all" || f.role == "data-plane" {
		if f.s3Endpoint == "" || f.s3Bucket == "" {
			return fmt.Errorf("role %s keeps message bodies and exports in S3: set --s3-endpoint and --s3-bucket", f.role)
		}
		s3store, err := s3.Open(ctx, s3.Config{
			Endpoint: f.s3Endpoint, Bucket: f.s3Bucket, AccessKey: f.s3AccessKey, SecretKey: f.s3SecretKey,
			Region: f.s3Region, Prefix: f.s3Prefix, Secure: f.s3Secure, ConnectTimeout: f.s3Timeout,
		})
		if err != nil {
			return err
		}
		defer closeLogged(log, "blob store", s3store.Close)
		blobs = s3store
	}

	n := &node{kv: store, blobs: blobs, log: log, telemetry: tel}
	var catalog *tenants.Catalog
	if masterKey != nil {
		if catalog, err = newCatalog(store, masterKey); err != nil {
			return err
		}
	} else {
		catalog = tenants.New(store, nil, tenants.Options{}) // reads tenants only
	}
	biller := newBiller(store, catalog)
	if dataPlane || controlPlane {
		// A control-plane-only node administers queues through the
		// catalog and reads what they hold through a Stats: no engine, so
		// no receipt key and no background work, which data-plane nodes run.
		var (
			queueCatalog *queues.Catalog
			queueData    restapi.QueueData
			gate         *admission.Gate
			dpAPI        *sqsapi.Handler // for the console
			dpEngine     *engine.Engine
		)
		if dataPlane {
			dp, err := startDataPlane(ctx, store, catalog, masterKey, dataPlaneConfig{
				tiering: engine.TieringOptions{Blobs: blobs, Interval: f.tierInterval}, regions: regions,
				recreateDelay: f.engineRecreateDelay(), metering: f.metering,
				telemetry: tel, telFlags: &f.telemetryFlags, kvDriver: "tikv",
				pushAllowLoopback: f.pushLoopback,
			}, log)
			if err != nil {
				return err
			}
			defer dp.close(log)
			n.sqs, queueCatalog, queueData, gate = dp.sqs, dp.engine.Catalog(), dp.engine.Stats(), dp.gate
			dpAPI, dpEngine = dp.sqsAPI, dp.engine
		}
		if controlPlane {
			if queueCatalog == nil {
				queueCatalog = queues.NewWithOptions(store, queues.Options{RecreateDelay: f.engineRecreateDelay()})
				queueData = engine.NewStats(store, queueCatalog, engine.StatsOptions{})
			}
			if gate == nil {
				// A control-plane-only node meters its REST queue
				// calls on a meter of its own, flushed on shutdown.
				m := newMeter(ctx, store, f.metering, log)
				defer closeMeter(m, log)
				// Its calls count in the per-tenant metrics too.
				calls, err := sqsotel.New(sqsotel.Options{Telemetry: tel})
				if err != nil {
					return err
				}
				gate = newGate(nil, m, calls)
			}
			n.control = restapi.New(catalog, queueCatalog, queueData, f.region, jwtKey, nil, log).
				WithGate(gate).WithUsage(store).WithBilling(biller).WithTopics(topics.New(store, topics.Options{}))
			go periodic.Run(ctx, tenantReapInterval, log, "reap deleted tenants", n.control.ReapDeletedTenants)
			if n.console, err = newConsole(jwtKey, f.region, dpAPI, dpEngine, log); err != nil {
				return err
			}
		}
	}

	if billingRole {
		// The invoice finalizer, and on a billing-only node the usage
		// sampler (data-plane nodes run theirs), each under its lease.
		stop := billingLoops(ctx, store, biller, f.role == "billing" && f.metering, log)
		defer stop()
	}

	l, err := listen(f.listen)
	if err != nil {
		return err
	}
	metricsURL, err := f.metricsURL(ctx, n, "http://"+l.Addr().String(), tel, log)
	if err != nil {
		return err
	}
	log.Info("sluice serve started", "role", f.role, "listen", l.Addr().String(), "regions", regions, "pd", f.pd, "s3", f.s3Endpoint, "metering", f.metering,
		"metrics", metricsURL, "tracing", tel.Tracing())
	return serveHTTP(ctx, l, n.routes(), f.http, log)
}

// mockPD is the --pd value for client-go's in-process mock store, which
// only test binaries (-tags sluice_mocktikv) accept.
const mockPD = "mock://"

// openKV opens the TiKV cluster behind cfg.PDAddrs, or the mock store for
// --pd mock:// in a test binary.
func openKV(ctx context.Context, cfg tikv.Config) (*tikv.Store, error) {
	if slices.Contains(cfg.PDAddrs, mockPD) {
		if len(cfg.PDAddrs) > 1 {
			return nil, errors.New("--pd " + mockPD + " goes alone")
		}
		return openMockTiKV(cfg.Options)
	}
	return tikv.Open(ctx, cfg)
}

func splitList(s string) []string {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// loadMasterKey reads the master key from --master-key or --master-key-file.
func (f *serveFlags) loadMasterKey() ([]byte, error) {
	text := f.masterKey
	switch {
	case f.masterKey != "" && f.masterFile != "":
		return nil, errors.New("set one of --master-key and --master-key-file, not both")
	case f.masterFile != "":
		// A master key others can read opens every tenant's secrets.
		if err := checkPrivateFile("master-key-file", "master-key", f.masterFile); err != nil {
			return nil, err
		}
		b, err := os.ReadFile(f.masterFile)
		if err != nil {
			return nil, fmt.Errorf("--master-key-file: %w", err)
		}
		text = string(b)
	case text == "":
		return nil, fmt.Errorf("role %s needs the master key that seals access keys: set --master-key or --master-key-file", f.role)
	}
	key, err := seal.ParseKey(text)
	if err != nil {
		return nil, fmt.Errorf("--master-key: %w", err)
	}
	return key, nil
}

// checkPrivateFile refuses a key file that group or others have any access
// to, naming the file's flag and the fixes: chmod, or the key in the
// environment variable of keyFlag. `sluice dev` creates its keys 0600.
func checkPrivateFile(fileFlag, keyFlag, path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("--%s: %w", fileFlag, err)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return fmt.Errorf("--%s %s is open to group or others (mode %04o): chmod 600 %s, or pass the key in %s instead",
			fileFlag, path, perm, path, config.EnvName(keyFlag))
	}
	return nil
}
