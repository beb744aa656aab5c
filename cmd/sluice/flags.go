package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/sluice-mq/sluice/internal/config"
)

// errUsage reports a command-line error whose message flag already printed.
var errUsage = errors.New("usage")

// commonFlags are the flags every long-running command takes.
type commonFlags struct {
	listen       string
	logLevel     string
	config       string
	region       string
	tierInterval time.Duration
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
	err := config.Parse(fs, args, env.getenv)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return errUsage
	case err != nil && strings.HasPrefix(err.Error(), "flag provided but not defined"):
		return errUsage // flag printed the message and usage
	}
	return err
}
