package tikv

import (
	"context"
	"time"

	"github.com/tikv/client-go/v2/oracle"
)

// gcLoop advances the MVCC safe point so TiKV can drop old versions and the
// tombstones of deleted messages. Without it every scan over a consumed
// queue grows slower forever.
func (s *Store) gcLoop(ctx context.Context) {
	defer s.gcDone.Done()
	ticker := time.NewTicker(s.opts.GCInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		if err := s.GC(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("tikv kv: gc failed", "error", err)
		}
	}
}

// GC advances the safe point to now minus GCLifetime, then runs AfterGC.
func (s *Store) GC(ctx context.Context) error {
	now, err := s.store.CurrentTimestamp(oracle.GlobalTxnScope)
	if err != nil {
		return err
	}
	safePoint := oracle.GoTimeToTS(oracle.GetTimeFromTS(now).Add(-s.opts.GCLifetime))
	newSafePoint, err := s.store.GC(ctx, safePoint)
	if err != nil {
		return err
	}
	if s.opts.AfterGC != nil {
		return s.opts.AfterGC(ctx, newSafePoint)
	}
	return nil
}
