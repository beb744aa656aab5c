package meter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/internal/kv"
)

// LeaseKey is the sampler's lease: the holder's incarnation, its expiry
// and the last minute sampled, so each minute is sampled at most once
// across the nodes that run a sampler.
var LeaseKey = []byte("U/lease/sampler")

// StorageReader reads a queue's stored bytes inside a read of the store:
// an engine's Stats, or engine.NewStats on a node without an engine.
type StorageReader interface {
	QueueBytes(ctx context.Context, r kv.Reader, q *queues.Record) (hot, cold int64, err error)
}

// SamplerOptions configures a Sampler.
type SamplerOptions struct {
	Store kv.Store
	// Meter receives the samples (and writes them with its own flushes).
	Meter   *Meter
	Storage StorageReader
	// Clock returns the current time; nil is time.Now.
	Clock func() time.Time
	// LeaseTTL is how long a holder keeps the lease without renewing it:
	// 3 minutes by default.
	LeaseTTL time.Duration
	Logger   *slog.Logger
}

// Sampler adds, once a minute, every live queue's stored hot and cold
// bytes (byte-minutes) and one queue-minute to the usage records, on one
// node at a time.
type Sampler struct {
	opts SamplerOptions
}

// NewSampler returns a Sampler.
func NewSampler(opts SamplerOptions) *Sampler {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = 3 * time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Sampler{opts: opts}
}

type lease struct {
	Holder  string `json:"holder"`
	Expires int64  `json:"expires"` // Unix ms
	Minute  int64  `json:"minute"`  // Unix minutes of the last minute sampled
}

// claim takes or renews the lease for the minute of now; false when
// another node holds it or the minute was sampled already.
func (s *Sampler) claim(ctx context.Context, minute int64, now time.Time) (bool, error) {
	me := s.opts.Meter.Incarnation()
	ok := false
	err := s.opts.Store.Update(ctx, func(tx kv.Txn) error {
		ok = false
		var l lease
		v, err := tx.Get(ctx, LeaseKey)
		switch {
		case errors.Is(err, kv.ErrNotFound):
		case err != nil:
			return err
		default:
			if err := json.Unmarshal(v, &l); err != nil {
				return fmt.Errorf("sampler lease: %w", err)
			}
		}
		if l.Holder != me && l.Expires > now.UnixMilli() {
			return nil // another node's
		}
		if minute <= l.Minute {
			return nil // sampled already
		}
		b, _ := json.Marshal(lease{Holder: me, Expires: now.Add(s.opts.LeaseTTL).UnixMilli(), Minute: minute})
		ok = true
		return tx.Set(LeaseKey, b)
	})
	return ok && err == nil, err
}

// SampleOnce samples the current minute if this node holds (or takes)
// the lease and no node sampled the minute yet; it reports whether it did.
func (s *Sampler) SampleOnce(ctx context.Context) (bool, error) {
	now := s.opts.Clock()
	minute := now.Unix() / 60
	ok, err := s.claim(ctx, minute, now)
	if err != nil || !ok {
		return false, err
	}
	at := time.Unix(minute*60, 0)
	// One read per page of queues, not one per queue: an idle cluster's
	// queues cost the sampler a read of their count records each minute.
	type sample struct {
		ref       queues.Ref
		hot, cold int64
	}
	err = kv.ForEachPage(ctx, s.opts.Store, queues.RecordsPrefix(), 500, func(page []kv.KV) error {
		var samples []sample
		err := s.opts.Store.View(ctx, func(r kv.Reader) error {
			samples = samples[:0]
			for _, p := range page {
				ref, ok := queues.ParseKey(p.Key)
				if !ok {
					continue
				}
				rec, err := queues.Decode(p.Value)
				if err != nil {
					continue
				}
				hot, cold, err := s.opts.Storage.QueueBytes(ctx, r, rec)
				if err != nil {
					return fmt.Errorf("queue %s: %w", ref.Name, err)
				}
				samples = append(samples, sample{ref, hot, cold})
			}
			return nil
		})
		for _, x := range samples {
			s.opts.Meter.Sample(x.ref.Account, x.ref.Region, x.ref.Name, x.hot, x.cold, at)
		}
		return err
	})
	if err != nil && ctx.Err() == nil {
		err = fmt.Errorf("scan queues: %w", err)
	}
	return true, err
}

// Run samples every minute (trying every 10 s, so a lease taken over is
// used within seconds) until ctx ends.
func (s *Sampler) Run(ctx context.Context) {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		if _, err := s.SampleOnce(ctx); err != nil && ctx.Err() == nil {
			s.opts.Logger.Warn("usage sampling failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
