package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/sluice-mq/sluice/billing/meter"
	"github.com/sluice-mq/sluice/data-plane/admission"
	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/sigv4"
	"github.com/sluice-mq/sluice/data-plane/snsapi"
	"github.com/sluice-mq/sluice/data-plane/sqsapi"
	"github.com/sluice-mq/sluice/data-plane/sqsauth"
	"github.com/sluice-mq/sluice/data-plane/sqsotel"
	"github.com/sluice-mq/sluice/data-plane/topics"
	"github.com/sluice-mq/sluice/data-plane/topics/push"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/telemetry"
	"github.com/sluice-mq/sluice/tenants"
	"github.com/sluice-mq/sluice/tenants/seal"
)

// dataPlane is the queue engine and the SQS API in front of it, through
// the node's admission gate.
type dataPlane struct {
	engine  *engine.Engine
	catalog *tenants.Catalog
	gate    *admission.Gate
	meter   *meter.Meter // nil with --metering=false
	sqs     http.Handler
	sqsAPI  *sqsapi.Handler // the SQS API alone, which the console calls as a tenant
	// stopPush stops the push dispatcher and waits for it.
	stopPush func()
}

// close flushes the usage counted (graceful stop: nothing is lost) and
// closes the engine.
func (dp *dataPlane) close(log *slog.Logger) {
	if dp.stopPush != nil {
		dp.stopPush()
	}
	closeMeter(dp.meter, log)
	closeLogged(log, "queue engine", dp.engine.Close)
}

// dataPlaneConfig is what the data plane takes from the command line.
type dataPlaneConfig struct {
	// tiering rolls older message bodies into segments on tiering.Blobs.
	tiering engine.TieringOptions
	// regions are the regions clients may sign for.
	regions []string
	// recreateDelay is engine.Options.QueueRecreateDelay.
	recreateDelay time.Duration
	// soleWriter says this process is the store's only writer (sluice
	// dev), so receives need no margin for other nodes' late commits, and
	// a fresh store's queues need one shard, not eight.
	soleWriter bool
	// metering false builds the gate without a meter and runs no sampler
	// (--metering=false).
	metering bool
	// telemetry traces and measures the node (nil: nothing); kvDriver
	// names the store in spans.
	telemetry *telemetry.Telemetry
	telFlags  *telemetryFlags
	kvDriver  string
	// pushAllowLoopback lets http/https subscriptions reach loopback
	// addresses (--push-allow-loopback).
	pushAllowLoopback bool
}

// startDataPlane starts the engine's background work on store and builds
// the SQS handler. Close the engine when done.
func startDataPlane(ctx context.Context, store kv.Store, catalog *tenants.Catalog, masterKey []byte, cfg dataPlaneConfig, log *slog.Logger) (*dataPlane, error) {
	opts := engine.Options{ReceiptKey: receiptKey(masterKey), Logger: log, Tiering: cfg.tiering, QueueRecreateDelay: cfg.recreateDelay}
	if cfg.soleWriter {
		opts.ScanMargin = -1
		// One shard a queue on a fresh store: with one writer, shards
		// only cost receives scans (engine/shards.go).
		shards, err := engine.StoredShards(ctx, store, 1)
		if err != nil {
			return nil, fmt.Errorf("queue engine: %w", err)
		}
		opts.Shards = shards
	}
	opts.Tiering.Blobs = telemetry.WrapBlob(cfg.telemetry, opts.Tiering.Blobs, "blob")
	traced := telemetry.WrapKV(cfg.telemetry, store, cfg.kvDriver)
	eng, err := engine.New(traced, opts)
	if err != nil {
		return nil, fmt.Errorf("queue engine: %w", err)
	}
	var calls *sqsotel.Calls
	if cfg.telFlags != nil {
		if calls, err = cfg.telFlags.calls(cfg.telemetry, &dataPlane{engine: eng}); err != nil {
			_ = eng.Close()
			return nil, err
		}
	}
	// Usage metering: every call counted in memory, flushed every 2 s
	// (started below, with the engine).
	var m *meter.Meter
	if cfg.metering {
		m = meter.New(meter.Options{Store: store, Logger: log})
	}
	gate := newGate(eng, m, calls)
	h, err := sqsapi.New(sqsapi.Options{
		Engine:    eng,
		Catalog:   eng.Catalog(),
		Auth:      sqsauth.NewForRegions(catalog, cfg.regions, sigv4.Options{}),
		Gate:      gate,
		Logger:    log,
		Telemetry: calls,
	})
	if err != nil {
		_ = eng.Close()
		return nil, err
	}
	// SNS topics share the endpoint: requests signed for service sns go
	// to their handler (snsapi.Route).
	topicCatalog := topics.New(traced, topics.Options{})
	sns, err := snsapi.New(snsapi.Options{
		Engine: eng,
		Topics: topicCatalog,
		Auth:   sqsauth.NewForRegions(catalog, cfg.regions, sigv4.Options{Service: "sns"}),
		Gate:   gate,
		Logger: log,
	})
	if err != nil {
		_ = eng.Close()
		return nil, err
	}
	eng.Start(ctx)
	if m != nil {
		m.Start(ctx)
		// Every data-plane node runs the storage sampler too, so a
		// cluster without a billing node still samples; the sampler's
		// lease lets one node at a time sample each minute.
		sampler := meter.NewSampler(meter.SamplerOptions{Store: store, Meter: m, Storage: eng.Stats(), Logger: log})
		go sampler.Run(ctx)
	}
	// http/https subscriptions: this node's push workers.
	pushCtx, cancelPush := context.WithCancel(ctx)
	pushDone := make(chan struct{})
	go func() {
		defer close(pushDone)
		push.New(push.Options{Engine: eng, Topics: topicCatalog, Gate: gate, Logger: log, AllowLoopback: cfg.pushAllowLoopback}).Run(pushCtx)
	}()
	stopPush := func() { cancelPush(); <-pushDone }
	return &dataPlane{engine: eng, catalog: catalog, gate: gate, meter: m, sqs: snsapi.Route(sns, h), sqsAPI: h, stopPush: stopPush}, nil
}

// newCatalog opens the tenant catalog, sealing secrets with masterKey.
func newCatalog(store kv.Store, masterKey []byte) (*tenants.Catalog, error) {
	sealer, err := seal.New(masterKey)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	return tenants.New(store, sealer, tenants.Options{}), nil
}

// receiptKey derives the key that signs receipt handles from the master
// key, so every node that shares a store and its master key agrees on it
// without storing another secret.
func receiptKey(masterKey []byte) []byte {
	m := hmac.New(sha256.New, masterKey)
	m.Write([]byte("sluice receipt handles v1"))
	return m.Sum(nil)
}
