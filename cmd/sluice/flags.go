package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

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
	tierInterval time.Duration
	http         httpserve.Config
}

// defaultRegion is the region queue URLs and ARNs carry unless --region
// says otherwise; clients must sign requests for it.
const defaultRegion = "us-east-1"

func (c *commonFlags) register(fs *flag.FlagSet, defaultListen string) {
	fs.StringVar(&c.listen, "listen", defaultListen, "address to serve HTTP on (host:port; port 0 picks a free one)")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&c.config, config.FileFlag, "", "YAML file with settings (keys are flag names)")
	fs.StringVar(&c.region, "region", defaultRegion, "region this endpoint serves: in queue ARNs and the signatures clients make")
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
