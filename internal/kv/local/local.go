// Package local is the embedded kv driver on Pebble, for `sluice dev` and
// single-node installs.
//
// Writers are serialised: one Update at a time runs against an indexed batch
// over the live database, so every transaction is serializable, conflicts
// cannot happen and LockSkip locks trivially. The batch is applied under the
// writer lock and made durable by a WAL sync waited for outside it, so
// concurrent committers share one fsync (group commit). No caller is
// answered before its commit is synced.
package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/sluice-mq/sluice/internal/kv"
)

// SyncMode chooses how a commit is made durable.
type SyncMode int

const (
	// SyncApplyNoWait applies the batch with DB.ApplyNoSyncWait under the
	// writer lock and waits with Batch.SyncWait outside it. The default:
	// it measured fastest (see docs/architecture.md).
	SyncApplyNoWait SyncMode = iota
	// SyncLogData applies the batch without sync under the lock, then
	// syncs the WAL with an empty DB.LogData outside it.
	SyncLogData
	// SyncNone never fsyncs: safe against a process crash, not against a
	// machine crash. For benchmarks and throwaway stores only.
	SyncNone
)

// Options tunes the driver. The zero value is the durable default.
type Options struct {
	Sync SyncMode
	// Logger receives Pebble's messages; nil discards them.
	Logger *slog.Logger
	// Setting names the configuration setting that chose the directory,
	// so errors tell the user what to fix. Defaults to "--data".
	Setting string
	// CacheBytes sizes Pebble's block cache (default 64 MiB). With Pebble's
	// 8 MiB default, reads of message records flushed to sstables were a
	// tenth of API CPU time in pread calls under load.
	CacheBytes int64
	// FS is the file system the store lives on; nil means the OS. Tests
	// pass a vfs.NewCrashableMem to simulate power loss, which SIGKILL
	// cannot (the page cache survives it).
	FS vfs.FS
}

const defaultCacheBytes = 64 << 20

// ErrClosed is returned by calls made after Close.
var ErrClosed = errors.New("local kv: store is closed")

// Store is the Pebble-backed kv.Store.
type Store struct {
	db       *pebble.DB
	syncMode SyncMode
	writer   sync.Mutex // serialises Update
	closed   atomic.Bool
	// failed is set when the write-ahead log failed (a full disk): see
	// fail.
	failed atomic.Pointer[failure]
}

// failure is why the store takes no more writes.
type failure struct {
	err error
	// wedged: Pebble panicked inside a commit, holding its commit lock,
	// so the DB cannot even be closed.
	wedged bool
}

// ErrLogFailed is wrapped by every write after the store's write-ahead
// log failed to write or sync, typically because the disk is full.
// Pebble keeps a log's first error for good (and panics in a commit that
// finds it), so the store refuses writes until it is opened again — in
// sluice, until the process restarts — which recovers every commit that
// was acknowledged. Writes answered with an error before then may or may
// not have been applied.
var ErrLogFailed = errors.New("local kv: the write-ahead log failed (is the disk full?); the store takes no writes until it is reopened: restart")

var _ kv.Store = (*Store)(nil)

// Open opens or creates the store in dir. It refuses a path that is a file
// or a non-empty directory that is not a Pebble store, so a mistyped
// setting never scatters database files into an unrelated directory.
func Open(dir string, opts Options) (*Store, error) {
	setting := opts.Setting
	if setting == "" {
		setting = "--data"
	}
	if opts.FS == nil {
		opts.FS = vfs.Default
	}
	if err := checkDir(opts.FS, dir); err != nil {
		return nil, fmt.Errorf("local kv store (%s): %w", setting, err)
	}
	if opts.CacheBytes <= 0 {
		opts.CacheBytes = defaultCacheBytes
	}
	cache := pebble.NewCache(opts.CacheBytes)
	defer cache.Unref() // the DB holds its own reference
	log := logger(opts.Logger)
	popts := &pebble.Options{
		FormatMajorVersion: pebble.FormatNewest,
		Logger:             pebbleLogger{log},
		Cache:              cache,
		FS:                 opts.FS,
		EventListener: &pebble.EventListener{
			// A SingleDelete over a key Set twice (kv.DeleteSetOnce
			// misused) shows here when a flush or compaction meets it.
			PossibleAPIMisuse: func(info pebble.PossibleAPIMisuseInfo) {
				log.Error("pebble: "+info.String(), "component", "pebble")
			},
		},
	}
	popts.EnsureDefaults()
	db, err := pebble.Open(dir, popts)
	if err != nil {
		return nil, fmt.Errorf("local kv store (%s): open %s: %w", setting, dir, err)
	}
	return &Store{db: db, syncMode: opts.Sync}, nil
}

func checkDir(fs vfs.FS, dir string) error {
	info, err := fs.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return fmt.Errorf("%s is a file, not a store directory", dir)
	}
	names, err := fs.List(dir)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return nil
	}
	for _, name := range names {
		if strings.HasPrefix(name, "MANIFEST-") || strings.HasPrefix(name, "marker.manifest.") {
			return nil
		}
	}
	return fmt.Errorf("%s is not empty and holds no Pebble store (no MANIFEST); point the setting at an empty directory or an existing store", filepath.Clean(dir))
}

// Update runs fn against an indexed batch while holding the writer lock.
func (s *Store) Update(ctx context.Context, fn func(tx kv.Txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	lazy := false
	batch, err := s.runLocked(fn, lazy)
	if err != nil || batch == nil {
		return err
	}
	defer batch.Close()
	switch s.syncMode {
	case SyncApplyNoWait:
		err = batch.SyncWait()
	case SyncLogData:
		err = s.db.LogData(nil, pebble.Sync)
	}
	if err != nil {
		return s.fail(fmt.Errorf("sync commit: %w", err), false)
	}
	return nil
}

// fail records the log's first failure and returns the error every write
// now gets.
func (s *Store) fail(err error, wedged bool) error {
	s.failed.CompareAndSwap(nil, &failure{err: err, wedged: wedged})
	return s.failedErr()
}

func (s *Store) failedErr() error {
	if f := s.failed.Load(); f != nil {
		return fmt.Errorf("%w: %w", ErrLogFailed, f.err)
	}
	return nil
}

// UpdateLazy is Update without waiting for the commit to reach the disk:
// the batch goes to the WAL unsynced, and the next durable commit's sync
// covers it, since the WAL is one ordered log.
func (s *Store) UpdateLazy(ctx context.Context, fn func(tx kv.Txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	lazy := true
	batch, err := s.runLocked(fn, lazy)
	if batch != nil {
		batch.Close()
	}
	return err
}

// runLocked runs fn on an indexed batch under the writer lock and applies
// it: lazy, unsynced (the next synced commit covers it); otherwise as the
// sync mode says, the caller then waiting for the sync. It returns the
// applied batch, or nil when fn wrote nothing.
func (s *Store) runLocked(fn func(tx kv.Txn) error, lazy bool) (*pebble.Batch, error) {
	s.writer.Lock()
	defer s.writer.Unlock()
	if s.closed.Load() {
		return nil, ErrClosed
	}
	if err := s.failedErr(); err != nil {
		return nil, err
	}
	batch := s.db.NewIndexedBatch()
	if err := fn(&txn{reader: reader{r: batch}, batch: batch}); err != nil {
		batch.Close()
		return nil, err
	}
	if batch.Empty() {
		batch.Close()
		return nil, nil
	}
	if err := s.apply(batch, lazy); err != nil {
		batch.Close()
		return nil, err
	}
	return batch, nil
}

// apply applies the batch. Pebble panics when it cannot write a batch to
// a log that already failed; the panic becomes the store's failure, and
// the store never calls into Pebble's commit path again.
func (s *Store) apply(batch *pebble.Batch, lazy bool) (err error) {
	defer func() {
		if r := recover(); r != nil {
			perr, ok := r.(error)
			if !ok {
				perr = fmt.Errorf("%v", r)
			}
			err = s.fail(fmt.Errorf("pebble panicked applying a commit: %w", perr), true)
		}
	}()
	switch {
	case !lazy && s.syncMode == SyncApplyNoWait:
		err = s.db.ApplyNoSyncWait(batch, pebble.Sync)
	default:
		err = s.db.Apply(batch, pebble.NoSync)
	}
	if err != nil {
		return fmt.Errorf("local kv: apply commit: %w", err)
	}
	return nil
}

// View runs fn on a Pebble snapshot; it never waits for writers.
func (s *Store) View(ctx context.Context, fn func(r kv.Reader) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed.Load() {
		return ErrClosed
	}
	snap := s.db.NewSnapshot()
	defer snap.Close()
	return fn(reader{r: snap})
}

// Close closes the database.
func (s *Store) Close() error {
	s.writer.Lock()
	defer s.writer.Unlock()
	if s.closed.Swap(true) {
		return nil
	}
	if f := s.failed.Load(); f != nil && f.wedged {
		// Closing would wait for the commit lock Pebble's panic left
		// held; the process must exit to release the store.
		return s.failedErr()
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("local kv: close: %w", err)
	}
	return nil
}

func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}

// pebbleLogger forwards Pebble's printf-style messages to slog.
type pebbleLogger struct{ l *slog.Logger }

func (p pebbleLogger) Infof(format string, args ...any) {
	p.l.Debug(fmt.Sprintf(format, args...), "component", "pebble")
}

func (p pebbleLogger) Errorf(format string, args ...any) {
	p.l.Error(fmt.Sprintf(format, args...), "component", "pebble")
}

func (p pebbleLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.l.Error(msg, "component", "pebble")
	panic(msg)
}

// Compact flushes the memtable and compacts every key into the bottom
// level, so DiskUsage measures what the data costs at rest (benchmarks of
// bytes per stored message).
func (s *Store) Compact(ctx context.Context) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if err := s.db.Flush(); err != nil {
		return fmt.Errorf("local kv: flush: %w", err)
	}
	if err := s.db.Compact(ctx, []byte{0}, []byte{0xff, 0xff, 0xff, 0xff}, true); err != nil {
		return fmt.Errorf("local kv: compact: %w", err)
	}
	return nil
}

// TableBytes is the bytes of the store's live sstables: what its data
// costs at rest, without the write-ahead log.
func (s *Store) TableBytes() int64 {
	m := s.db.Metrics()
	var n int64
	for _, l := range m.Levels {
		n += l.TablesSize
	}
	return n
}
