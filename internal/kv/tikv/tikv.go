// Package tikv is the clustered kv driver on TiKV through
// github.com/tikv/client-go/v2.
//
// Every Update is a pessimistic transaction with 1PC and async commit
// enabled. Keys written without a lock are checked for write conflicts at
// prewrite, exactly as in an optimistic transaction, and Update retries
// them. LockSkip takes pessimistic locks without waiting, all keys in one
// request per region (one key at a time after a key was taken), and reads
// each value back through the lock: real TiKV lets a pessimistic
// transaction commit over a write newer than its start, so only the value
// returned by the lock is safe to act on.
package tikv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	tikverr "github.com/tikv/client-go/v2/error"
	"github.com/tikv/client-go/v2/oracle"
	"github.com/tikv/client-go/v2/tikv"
	"github.com/tikv/client-go/v2/txnkv"

	"github.com/sluice-mq/sluice/internal/kv"
)

// Options tunes the driver.
type Options struct {
	// GCInterval is how often the MVCC safe point advances. Zero means the
	// default of 10 minutes; a negative value disables the GC loop (use it
	// when another system, such as TiDB, owns the cluster's safe point).
	GCInterval time.Duration
	// GCLifetime is how far behind now the safe point trails: the longest a
	// transaction or scan may run. Zero means 10 minutes.
	GCLifetime time.Duration
	// AfterGC, if set, runs after each safe-point advance. Tests use it to
	// make the in-process mock store drop old versions, which real TiKV
	// does by itself.
	AfterGC func(ctx context.Context, safePoint uint64) error
	// Logger receives GC errors; nil discards them.
	Logger *slog.Logger
}

// Config is what Open needs to reach a cluster.
type Config struct {
	PDAddrs []string
	// ConnectTimeout bounds Open; zero means 10 seconds.
	ConnectTimeout time.Duration
	Options
}

// Store is the TiKV-backed kv.Store.
type Store struct {
	store  *tikv.KVStore
	opts   Options
	log    *slog.Logger
	stopGC context.CancelFunc
	gcDone sync.WaitGroup
}

var _ kv.Store = (*Store)(nil)

// Open connects to the cluster behind the PD addresses. It fails within
// ConnectTimeout, naming the --pd setting, when PD cannot be reached.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if len(cfg.PDAddrs) == 0 {
		return nil, errors.New("tikv kv store: no PD addresses (set --pd)")
	}
	for _, a := range cfg.PDAddrs {
		if strings.TrimSpace(a) == "" || strings.ContainsAny(a, " /") && !strings.Contains(a, "://") {
			return nil, fmt.Errorf("tikv kv store: malformed PD address %q (fix --pd; want host:port)", a)
		}
	}
	timeout := cfg.ConnectTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	type result struct {
		client *txnkv.Client
		err    error
	}
	quietClientLogs()
	done := make(chan result, 1)
	go func() {
		c, err := txnkv.NewClient(cfg.PDAddrs)
		if err == nil {
			// A client that connected must also hand out timestamps.
			if _, err = c.CurrentTimestamp(oracle.GlobalTxnScope); err != nil {
				c.Close()
				c = nil
			}
		}
		done <- result{c, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, fmt.Errorf("tikv kv store: cannot reach PD at %s (check --pd): %w", strings.Join(cfg.PDAddrs, ","), r.err)
		}
		return New(r.client.KVStore, cfg.Options), nil
	case <-ctx.Done():
		// The client may still connect later; close it when it does.
		go func() {
			if r := <-done; r.client != nil {
				r.client.Close()
			}
		}()
		return nil, fmt.Errorf("tikv kv store: cannot reach PD at %s within %s (check --pd): %w", strings.Join(cfg.PDAddrs, ","), timeout, ctx.Err())
	}
}

// New wraps an open client-go store and starts its GC loop. Production code
// reaches it through Open; tests hand it client-go's in-process mock store.
func New(store *tikv.KVStore, opts Options) *Store {
	quietClientLogs()
	if opts.GCInterval == 0 {
		opts.GCInterval = 10 * time.Minute
	}
	if opts.GCLifetime <= 0 {
		opts.GCLifetime = 10 * time.Minute
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	gcCtx, stop := context.WithCancel(context.Background())
	s := &Store{store: store, opts: opts, log: log, stopGC: stop}
	if opts.GCInterval > 0 {
		s.gcDone.Add(1)
		go s.gcLoop(gcCtx)
	}
	return s
}

// Update runs fn in a pessimistic transaction and retries it on conflicts.
func (s *Store) Update(ctx context.Context, fn func(tx kv.Txn) error) error {
	return kv.Retry(ctx, Retryable, func() error { return s.updateOnce(ctx, fn) })
}

func (s *Store) updateOnce(ctx context.Context, fn func(tx kv.Txn) error) error {
	t, err := s.store.Begin()
	if err != nil {
		return fmt.Errorf("tikv kv: begin: %w", err)
	}
	t.SetPessimistic(true)
	t.SetEnable1PC(true)
	t.SetEnableAsyncCommit(true)
	// Set once, before anything runs: client-go's background work for
	// the transaction (the rollback of a failed lock request) reads them,
	// so they must not change later. Released before the rollback and the
	// commit (interruptOnDone): the rollback must reach the store however
	// the call ended, and the commit stops at ctx's end by itself (one
	// stopped after its primary was sent still reports an unknown
	// outcome) while its cleanup must not be interrupted.
	vars, release := interruptOnDone(ctx)
	defer release()
	t.SetVars(vars)
	tx := &txn{reader: reader{r: txnSource{t}}, t: t, store: s.store}
	if err := fn(tx); err != nil {
		release()
		_ = t.Rollback()
		return interrupted(ctx, err)
	}
	release()
	if err := t.Commit(ctx); err != nil {
		if tikverr.IsErrorUndetermined(err) {
			// The commit may or may not have happened: never retry it
			// blindly, the caller must decide.
			return fmt.Errorf("tikv kv: commit outcome unknown: %w", err)
		}
		return fmt.Errorf("tikv kv: commit: %w", err)
	}
	return nil
}

// View runs fn on a snapshot taken at a fresh timestamp. It restarts when
// the snapshot became older than the GC safe point.
func (s *Store) View(ctx context.Context, fn func(r kv.Reader) error) error {
	return kv.Retry(ctx, Retryable, func() error {
		ts, err := s.store.CurrentTimestamp(oracle.GlobalTxnScope)
		if err != nil {
			return fmt.Errorf("tikv kv: timestamp: %w", err)
		}
		snap := s.store.GetSnapshot(ts)
		vars, release := interruptOnDone(ctx)
		defer release()
		snap.SetVars(vars)
		return interrupted(ctx, fn(reader{r: snapshotReader{snap}}))
	})
}

// CurrentTimestamp returns a fresh timestamp from the cluster's oracle.
func (s *Store) CurrentTimestamp() (uint64, error) {
	return s.store.CurrentTimestamp(oracle.GlobalTxnScope)
}

// Close stops the GC loop and closes the client.
func (s *Store) Close() error {
	s.stopGC()
	s.gcDone.Wait()
	if err := s.store.Close(); err != nil {
		return fmt.Errorf("tikv kv: close: %w", err)
	}
	return nil
}

// Retryable reports errors after which running the transaction again on a
// fresh timestamp can succeed.
func Retryable(err error) bool {
	var (
		latch     *tikverr.ErrWriteConflictInLatch
		retry     *tikverr.ErrRetryable
		gcEarly   *tikverr.ErrGCTooEarly
		deadlock  *tikverr.ErrDeadlock
		pdTimeout *tikverr.ErrPDServerTimeout
	)
	switch {
	case tikverr.IsErrorUndetermined(err):
		return false
	case strings.Contains(err.Error(), "tikv aborts txn"):
		// TiKV aborted the prewrite (for one, a pessimistic lock resolved
		// away under load), so nothing committed and a rerun is safe.
		return true
	case errors.Is(err, kv.ErrConflict),
		tikverr.IsErrWriteConflict(err),
		errors.As(err, &latch),
		errors.As(err, &retry),
		errors.As(err, &gcEarly),
		errors.As(err, &deadlock),
		errors.As(err, &pdTimeout),
		errors.Is(err, tikverr.ErrLockAcquireFailAndNoWaitSet),
		errors.Is(err, tikverr.ErrLockWaitTimeout),
		errors.Is(err, tikverr.ErrTiKVServerBusy),
		errors.Is(err, tikverr.ErrRegionUnavailable):
		return true
	}
	return false
}
