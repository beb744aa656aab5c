package invoices

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/sluice-mq/sluice/internal/kv"
)

var leaseKey = []byte("B/lease/finalizer")

type lease struct {
	Holder  string    `json:"holder"`
	Expires time.Time `json:"expires"`
}

func randomHolder() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Acquire takes or renews the finalizer lease for this Biller's holder,
// in a transaction: it succeeds when the lease is free, expired, or
// already this holder's, and then holds it until now + LeaseTTL.
func (b *Biller) Acquire(ctx context.Context, now time.Time) (bool, error) {
	held := false
	err := b.store.Update(ctx, func(tx kv.Txn) error {
		held = false
		raw, err := tx.Get(ctx, leaseKey)
		switch {
		case errors.Is(err, kv.ErrNotFound):
		case err != nil:
			return err
		default:
			var l lease
			if err := json.Unmarshal(raw, &l); err == nil && l.Holder != b.opts.Holder && now.Before(l.Expires) {
				return nil // another node's, still valid
			}
		}
		out, err := json.Marshal(lease{Holder: b.opts.Holder, Expires: now.Add(b.opts.LeaseTTL).UTC()})
		if err != nil {
			return err
		}
		held = true
		return tx.Set(leaseKey, out)
	})
	return held, err
}

// release gives the lease up if this holder has it.
func (b *Biller) release(ctx context.Context) error {
	return b.store.Update(ctx, func(tx kv.Txn) error {
		raw, err := tx.Get(ctx, leaseKey)
		if err != nil {
			return nil
		}
		var l lease
		if json.Unmarshal(raw, &l) != nil || l.Holder != b.opts.Holder {
			return nil
		}
		return tx.Delete(leaseKey)
	})
}

// Tick is one round of the billing role: when this node holds (or takes)
// the finalizer lease, it finalizes what is due; otherwise it does
// nothing.
func (b *Biller) Tick(ctx context.Context) (held bool, finalized int, err error) {
	now := b.opts.Clock()
	if held, err = b.Acquire(ctx, now); err != nil || !held {
		return held, 0, err
	}
	finalized, err = b.Finalize(ctx, now)
	return true, finalized, err
}

// Run ticks every Interval until ctx ends, then gives the lease up: the
// billing role's loop. Errors are logged and retried on the next tick.
func (b *Biller) Run(ctx context.Context, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := time.NewTicker(b.opts.Interval)
	defer t.Stop()
	for {
		held, n, err := b.Tick(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("finalize invoices", "error", err)
		case n > 0:
			log.Info("finalized invoices", "count", n, "holder", b.opts.Holder)
		case !held:
			log.Debug("finalizer lease held elsewhere")
		}
		select {
		case <-ctx.Done():
			stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			_ = b.release(stop)
			return ctx.Err()
		case <-t.C:
		}
	}
}
