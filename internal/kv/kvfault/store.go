// Package kvfault injects faults into a kv store, for tests that check
// what the engine promises when its store misbehaves: a kv.Store wrapper
// for outcomes the driver cannot hide (a commit whose outcome is unknown,
// a store that is down) and, for the tikv driver over client-go's
// in-process mock, an RPC client and a PD client that inject what TiKV and
// PD do (region errors, lost replies, slow lock resolution, TSO outages),
// below client-go, so its own retries and the driver's are exercised.
//
// It is imported by tests only.
package kvfault

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluice-mq/sluice/internal/kv"
)

var (
	// ErrOutcomeUnknown is what an injected unknown-outcome commit returns:
	// the transaction may or may not have committed (with Faults, it
	// did in UnknownApplied and did not in UnknownNotApplied).
	ErrOutcomeUnknown = errors.New("kvfault: injected: commit outcome unknown")
	// ErrUnavailable is what every call returns while the store is down;
	// nothing was applied.
	ErrUnavailable = errors.New("kvfault: injected: store unavailable")
)

// Faults are the store-level faults to inject; the zero value injects
// none. Probabilities are per Update.
type Faults struct {
	// UnknownApplied: the transaction commits and the caller gets
	// ErrOutcomeUnknown (a reply lost after the commit).
	UnknownApplied float64
	// UnknownNotApplied: the transaction runs and is rolled back, and the
	// caller gets ErrOutcomeUnknown (a timeout before the commit).
	UnknownNotApplied float64
	// Delay is added before every Update and View.
	Delay time.Duration
}

// Store is a kv.Store that injects Faults into the store it wraps. Its
// methods are safe for concurrent use; Set and Down change the faults of
// calls that start afterwards.
type Store struct {
	inner     kv.Store
	faults    atomic.Pointer[Faults]
	mu        sync.Mutex
	downUntil time.Time
	counts    sync.Map // fault name -> *atomic.Int64
}

var (
	_ kv.Store       = (*Store)(nil)
	_ kv.LazyUpdater = (*Store)(nil)
)

// Wrap returns inner with no faults enabled.
func Wrap(inner kv.Store) *Store {
	s := &Store{inner: inner}
	s.faults.Store(&Faults{})
	return s
}

// Set replaces the faults injected.
func (s *Store) Set(f Faults) { s.faults.Store(&f) }

// Down makes every call fail with ErrUnavailable, applying nothing, for d
// from now (0 ends an outage).
func (s *Store) Down(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.downUntil = time.Now().Add(d)
}

func (s *Store) down() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Now().Before(s.downUntil)
}

// Injected reports how many times each fault was injected.
func (s *Store) Injected() map[string]int64 {
	return injected(&s.counts)
}

func (s *Store) count(name string) { count(&s.counts, name) }

// errRollback makes the inner Update roll back a transaction the fault
// keeps from committing.
var errRollback = errors.New("kvfault: rolled back")

// Update runs fn through the wrapped store's Update, with faults.
func (s *Store) Update(ctx context.Context, fn func(tx kv.Txn) error) error {
	return s.update(ctx, fn, s.inner.Update)
}

// UpdateLazy is Update through the wrapped store's lazy commit.
func (s *Store) UpdateLazy(ctx context.Context, fn func(tx kv.Txn) error) error {
	return s.update(ctx, fn, func(ctx context.Context, fn func(tx kv.Txn) error) error {
		return kv.UpdateLazy(ctx, s.inner, fn)
	})
}

func (s *Store) update(ctx context.Context, fn func(tx kv.Txn) error, commit func(context.Context, func(kv.Txn) error) error) error {
	f := s.faults.Load()
	if err := s.before(ctx, f); err != nil {
		return err
	}
	switch p := rand.Float64(); {
	case p < f.UnknownApplied:
		if err := commit(ctx, fn); err != nil {
			return err
		}
		s.count("unknown-applied")
		return fmt.Errorf("%w (it committed)", ErrOutcomeUnknown)
	case p < f.UnknownApplied+f.UnknownNotApplied:
		err := commit(ctx, func(tx kv.Txn) error {
			if err := fn(tx); err != nil {
				return err
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			return err
		}
		s.count("unknown-not-applied")
		return fmt.Errorf("%w (it did not commit)", ErrOutcomeUnknown)
	}
	return commit(ctx, fn)
}

// View runs fn through the wrapped store's View, with faults.
func (s *Store) View(ctx context.Context, fn func(r kv.Reader) error) error {
	if err := s.before(ctx, s.faults.Load()); err != nil {
		return err
	}
	return s.inner.View(ctx, fn)
}

func (s *Store) before(ctx context.Context, f *Faults) error {
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	if s.down() {
		s.count("unavailable")
		return ErrUnavailable
	}
	return nil
}

// Close closes the wrapped store.
func (s *Store) Close() error { return s.inner.Close() }
