package sqsotel

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/sluice-mq/sluice/data-plane/sqserr"
)

// registerGauges registers the per-queue gauges, read on each scrape
// from the engine for the queues with series of their own (at most
// Options.QueueSeries reads, under Options.GaugeTimeout), and the node's
// long-poll waiters, tiering lag and cold-read counters.
func (c *Calls) registerGauges(m metric.Meter) error {
	messages, err := m.Int64ObservableGauge("sluice.queue.messages", metric.WithUnit("{message}"),
		metric.WithDescription("Messages in a queue by state: visible, inflight (not visible), delayed (ApproximateNumberOfMessages*)."))
	if err != nil {
		return err
	}
	age, err := m.Float64ObservableGauge("sluice.queue.oldest_message_age", metric.WithUnit("s"),
		metric.WithDescription("How long the earliest ready message has been ready (ApproximateAgeOfOldestMessage)."))
	if err != nil {
		return err
	}
	qbytes, err := m.Int64ObservableGauge("sluice.queue.stored", metric.WithUnit("By"),
		metric.WithDescription("Message bytes a queue stores, by tier: hot (in the store) or cold (in segments)."))
	if err != nil {
		return err
	}
	segments, err := m.Int64ObservableGauge("sluice.queue.segments", metric.WithUnit("{segment}"),
		metric.WithDescription("Cold segments a queue has on the blob store."))
	if err != nil {
		return err
	}
	polls, err := m.Int64ObservableGauge("sluice.long_poll.waiters", metric.WithUnit("{call}"),
		metric.WithDescription("ReceiveMessage calls waiting on this node."))
	if err != nil {
		return err
	}
	lag, err := m.Float64ObservableGauge("sluice.tiering.lag", metric.WithUnit("s"),
		metric.WithDescription("Time since this node's last completed tiering pass."))
	if err != nil {
		return err
	}
	coldReads, err := m.Int64ObservableCounter("sluice.tiering.cold_reads", metric.WithUnit("{read}"),
		metric.WithDescription("Cold message reads by outcome: cache hit, range or whole-segment fetch, corrupt, failed."))
	if err != nil {
		return err
	}
	var (
		visible  = attribute.String("state", "visible")
		inflight = attribute.String("state", "inflight")
		delayed  = attribute.String("state", "delayed")
		hot      = attribute.String("tier", "hot")
		cold     = attribute.String("tier", "cold")
	)
	_, err = m.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		e := c.engine
		o.ObserveInt64(polls, int64(e.LongPolls()))
		o.ObserveFloat64(lag, e.TieringLag().Seconds())
		cs := e.ColdStats()
		for outcome, n := range map[string]int64{"hit": cs.Cache.Hits, "range": cs.Cache.RangeReads, "whole": cs.Cache.WholeReads, "corrupt": cs.Corrupt, "failed": cs.Failed} {
			o.ObserveInt64(coldReads, n, metric.WithAttributes(attribute.String("outcome", outcome)))
		}
		ctx, cancel := context.WithTimeout(ctx, c.timeout)
		defer cancel()
		for _, ref := range c.series.snapshot() {
			g, err := e.QueueGauges(ctx, ref)
			var se *sqserr.Error
			if errors.As(err, &se) && se.Code == sqserr.NoQueue().Code {
				c.series.forget(ref)
				continue
			}
			if err != nil {
				return err
			}
			q := []attribute.KeyValue{attribute.String("tenant", ref.Account), attribute.String("region", ref.Region), attribute.String("queue", ref.Name)}
			with := func(a attribute.KeyValue) metric.MeasurementOption {
				return metric.WithAttributes(append(q[:3:3], a)...)
			}
			o.ObserveInt64(messages, g.Visible, with(visible))
			o.ObserveInt64(messages, g.InFlight, with(inflight))
			o.ObserveInt64(messages, g.Delayed, with(delayed))
			o.ObserveFloat64(age, float64(g.OldestAgeMillis)/1000, metric.WithAttributes(q...))
			o.ObserveInt64(qbytes, g.HotBytes, with(hot))
			o.ObserveInt64(qbytes, g.ColdBytes, with(cold))
			o.ObserveInt64(segments, g.Segments, metric.WithAttributes(q...))
		}
		return nil
	}, messages, age, qbytes, segments, polls, lag, coldReads)
	return err
}
