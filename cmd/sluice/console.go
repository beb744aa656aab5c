package main

import (
	"fmt"
	"log/slog"

	"github.com/sluice-mq/sluice/console"
	"github.com/sluice-mq/sluice/control-plane/jwtauth"
	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/sqsapi"
)

// newConsole returns the web console of a node with the control plane;
// api and eng are nil on a node without the data plane (the console then
// manages queues, tenants and keys, but sends and polls nothing).
func newConsole(key *jwtauth.Key, region string, api *sqsapi.Handler, eng *engine.Engine, log *slog.Logger) (*console.Console, error) {
	opts := console.Options{Key: key, Region: region, Log: log, SQS: api}
	if eng != nil {
		opts.Gauges = eng
	}
	c, err := console.New(opts)
	if err != nil {
		return nil, fmt.Errorf("web console: %w", err)
	}
	return c, nil
}
