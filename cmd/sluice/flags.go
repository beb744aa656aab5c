package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/internal/config"
	"github.com/sluice-mq/sluice/internal/httpserve"
)

// errUsage reports a command-line error whose message flag already printed.
var errUsage = errors.New("usage")

// errHelp reports that the user asked for help and got it: exit 0.
var errHelp = errors.New("help")

// wantsHelp reports whether args ask for help before any "--".
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--h", "--help":
			return true
		}
	}
	return false
}

// commonFlags are the flags every long-running command takes.
type commonFlags struct {
	listen       string
	logLevel     string
	config       string
	region       string
	regions      string
	tierInterval time.Duration
	// queueRecreateDelay is the QueueDeletedRecently window; 0: none.
	queueRecreateDelay time.Duration
	http               httpserve.Config
}

// defaultRegion is the region queue URLs and ARNs carry unless --region
// says otherwise; clients must sign requests for it.
const defaultRegion = "us-east-1"

// register adds the common flags; regionsDefault describes what an empty
// --regions serves.
func (c *commonFlags) register(fs *flag.FlagSet, defaultListen, regionsDefault string) {
	fs.StringVar(&c.listen, "listen", defaultListen, "address to serve HTTP on (host:port; port 0 picks a free one)")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&c.config, config.FileFlag, "", "YAML file with settings (keys are flag names)")
	fs.StringVar(&c.region, "region", defaultRegion, "the control plane's region, for the queues its REST API creates; always among --regions")
	fs.StringVar(&c.regions, "regions", "", "comma-separated regions this endpoint serves: a client signing for one of them reaches that region's queues, whose ARNs carry it (default: "+regionsDefault+")")
	c.queueRecreateDelay = queues.DefaultRecreateDelay
	fs.Var((*nonNegativeDuration)(&c.queueRecreateDelay), "queue-recreate-delay",
		"the `duration` after deleting a queue before one of the same name can be created (SQS's QueueDeletedRecently: 60s); 0: at once, for test fixtures")
	fs.DurationVar(&c.tierInterval, "tier-interval", 10*time.Second, "how often this node rolls older message bodies into segments on the blob store")

	c.http = httpserve.Defaults()
	fs.Var((*positiveDuration)(&c.http.ReadTimeout), "http-read-timeout",
		"the `duration` a client has for a request's headers, and for its body on top of the body's size at --http-min-rate")
	fs.Var((*positiveDuration)(&c.http.WriteTimeout), "http-write-timeout",
		"the `duration` a request has once its body is in, long polls (up to 20s) included, plus the reply's size at --http-min-rate")
	fs.Var((*positiveDuration)(&c.http.IdleTimeout), "http-idle-timeout",
		"the `duration` a keep-alive connection may wait for its next request")
	fs.Var((*positiveInt)(&c.http.MinRate), "http-min-rate",
		"the slowest, in `bytes/s`, a request body may arrive or a reply be read beyond --http-read-timeout and --http-write-timeout")
	fs.Var((*connCap)(&c.http.MaxConnsPerAddr), "http-max-conns-per-addr",
		"the `number` of connections one client address (IPv6: one /64) may hold open; more are closed as they are accepted; 0: no cap. Behind a proxy, set it above the proxy's connection pool")
}

// positiveDuration is a duration flag that refuses 0 and less, whether it
// comes from the command line, the environment or the config file.
type positiveDuration time.Duration

func (d *positiveDuration) String() string { return time.Duration(*d).String() }

func (d *positiveDuration) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	if v <= 0 {
		return errors.New("must be more than 0")
	}
	*d = positiveDuration(v)
	return nil
}

// nonNegativeDuration is a duration flag that refuses less than 0.
type nonNegativeDuration time.Duration

func (d *nonNegativeDuration) String() string { return time.Duration(*d).String() }

func (d *nonNegativeDuration) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	if v < 0 {
		return errors.New("must be 0 or more")
	}
	*d = nonNegativeDuration(v)
	return nil
}

// engineRecreateDelay is --queue-recreate-delay as engine.Options and
// queues.Options take it: there 0 is the default and less than 0 none.
func (c *commonFlags) engineRecreateDelay() time.Duration {
	if c.queueRecreateDelay == 0 {
		return -1
	}
	return c.queueRecreateDelay
}

// regionName is the shape of a region: lower-case words of letters and
// digits joined by hyphens (what sigv4 accepts in a credential scope).
var regionName = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// servedRegions returns the regions to serve: --regions, or defaults when
// it is empty, and --region in any case.
func (c *commonFlags) servedRegions(defaults []string) ([]string, error) {
	list := splitList(c.regions)
	if len(list) == 0 {
		list = defaults
	}
	out := []string{c.region}
	for _, r := range list {
		if !regionName.MatchString(r) || len(r) > 64 {
			return nil, fmt.Errorf("--regions: %q is not a region name (like us-east-1)", r)
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	if !regionName.MatchString(c.region) || len(c.region) > 64 {
		return nil, fmt.Errorf("--region: %q is not a region name (like us-east-1)", c.region)
	}
	return out, nil
}

// awsRegions are the AWS commercial regions (partition aws) as of 2025:
// what `sluice dev` serves by default, so a client configured for any of
// them works against it.
var awsRegions = []string{
	"us-east-1", "us-east-2", "us-west-1", "us-west-2",
	"af-south-1",
	"ap-east-1", "ap-east-2", "ap-south-1", "ap-south-2",
	"ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
	"ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
	"ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
	"ca-central-1", "ca-west-1",
	"eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3",
	"eu-south-1", "eu-south-2", "eu-north-1",
	"il-central-1", "me-central-1", "me-south-1",
	"mx-central-1",
	"sa-east-1",
}

// positiveInt is an integer flag that refuses 0 and less.
type positiveInt int64

func (n *positiveInt) String() string { return strconv.FormatInt(int64(*n), 10) }

func (n *positiveInt) Set(s string) error {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return err
	}
	if v <= 0 {
		return errors.New("must be more than 0")
	}
	*n = positiveInt(v)
	return nil
}

// connCap is a connection count flag where 0 means no cap.
type connCap int

func (n *connCap) String() string { return strconv.Itoa(int(*n)) }

func (n *connCap) Set(s string) error {
	v, err := strconv.Atoi(s)
	if err != nil {
		return err
	}
	if v < 0 {
		return errors.New("must be 0 (no cap) or more")
	}
	*n = connCap(v)
	return nil
}

func (c *commonFlags) logger(env environment) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	return slog.New(slog.NewJSONHandler(env.stderr, &slog.HandlerOptions{Level: level})), nil
}

// parseFlags parses args, then environment variables, then the config file.
func parseFlags(fs *flag.FlagSet, env environment, args []string) error {
	fs.SetOutput(env.stderr)
	if wantsHelp(args) {
		fs.SetOutput(env.stdout) // asked for: it is the output, not an error
	}
	err := config.Parse(fs, args, env.getenv)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return errHelp
	case err != nil && strings.HasPrefix(err.Error(), "flag provided but not defined"):
		return errUsage // flag printed the message and usage
	}
	return err
}
