package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/sluice-mq/sluice/billing/invoices"
	"github.com/sluice-mq/sluice/billing/meter"
	"github.com/sluice-mq/sluice/billing/plans"
	billingusage "github.com/sluice-mq/sluice/billing/usage"
	"github.com/sluice-mq/sluice/data-plane/admission"
	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqsotel"
	"github.com/sluice-mq/sluice/internal/kv"
)

// meteringUsage is the --metering flag's help.
// pushLoopbackUsage documents --push-allow-loopback.
const pushLoopbackUsage = "let http/https topic subscriptions reach loopback addresses (127.0.0.0/8, ::1); " +
	"link-local and metadata addresses are refused either way"

const meteringUsage = "count every call for billing (usage records); false runs the node without a meter, " +
	"only to measure the metering overhead: calls on this node are then never billed"

// newBiller returns the invoices of the tenants in ts, rated with the
// price plans in store from the usage records there.
func newBiller(store kv.Store, ts invoices.Tenants) *invoices.Biller {
	return invoices.New(store, plans.NewStore(store, nil), billingusage.NewSource(store), ts, invoices.Options{})
}

// newMeter returns a started meter on store, or nil when metering is off.
func newMeter(ctx context.Context, store kv.Store, metering bool, log *slog.Logger) *meter.Meter {
	if !metering {
		return nil
	}
	m := meter.New(meter.Options{Store: store, Logger: log})
	m.Start(ctx)
	return m
}

// closeMeter flushes everything m counted (graceful stop: nothing lost).
func closeMeter(m *meter.Meter, log *slog.Logger) {
	if m == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.Close(ctx); err != nil {
		log.Warn("final usage flush failed", "error", err)
	}
}

// newGate returns an admission gate that counts calls on m (none when m is
// nil) and checks the stored-message quotas against counts (none when nil:
// the control plane's).
func newGate(counts admission.Counts, m *meter.Meter, calls ...*sqsotel.Calls) *admission.Gate {
	meters := []admission.Meter{m} // a nil *Meter is skipped
	for _, c := range calls {
		meters = append(meters, c)
	}
	return admission.New(admission.Options{Counts: counts, Meter: sqsotel.Meters(meters...)})
}

// billingLoops are the billing role's background work: the invoice
// finalizer, the usage rollup and retention loop and, when sample, the
// usage sampler with a meter of its own. The finalizer and the sampler run
// under leases in the store and each rollup batch is one transaction, so
// any number of nodes may run them. stop ends them, gives the finalizer lease up and flushes the
// sampler's meter; call it before the store closes.
func billingLoops(ctx context.Context, store kv.Store, b *invoices.Biller, sample bool, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _ = b.Run(ctx, log) })
	wg.Go(func() { _ = billingusage.NewCompactor(billingusage.CompactorOptions{Store: store, Log: log}).Run(ctx) })
	m := newMeter(ctx, store, sample, log)
	if m != nil {
		s := meter.NewSampler(meter.SamplerOptions{
			Store: store, Meter: m, Logger: log,
			Storage: engine.NewStats(store, queues.New(store, nil), engine.StatsOptions{}),
		})
		wg.Go(func() { s.Run(ctx) })
	}
	return func() {
		cancel()
		wg.Wait()
		closeMeter(m, log)
	}
}
