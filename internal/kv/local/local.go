// Package local is the embedded kv driver on Pebble, for `sluice dev` and
// single-node installs.
//
// Writers are serialised: one Update at a time runs against an indexed batch
// over the live database, so every transaction is serializable, conflicts
// cannot happen and LockSkip locks trivially. The batch is applied under the
// writer lock and made durable by a WAL sync waited for outside it, so
// concurrent committers share one fsync (group commit). No caller is
// answered before its commit is synced.
//
// A full disk stops writes with a clear error and never the process:
// see space (a ballast) and recovery (reopening after a failed log).
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
	"time"

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
	// ReserveBytes sizes the ballast file kept in the directory and freed
	// when the disk fills (default 64 MiB; negative: no ballast).
	ReserveBytes int64
	// GroupSyncInterval is how long the write-ahead log waits after a
	// sync before the next while at least four durable commits are in
	// flight, so that more of them share one (default 1 ms; negative:
	// never). Fewer writers are never made to wait (groupsync.go).
	GroupSyncInterval time.Duration
}

const (
	defaultCacheBytes        = 64 << 20
	defaultGroupSyncInterval = time.Millisecond
)

// ErrClosed is returned by calls made after Close.
var ErrClosed = errors.New("local kv: store is closed")

// Store is the Pebble-backed kv.Store.
type Store struct {
	dir      string
	setting  string
	fs       vfs.FS // what Pebble writes through: watched and hooked
	cache    *pebble.Cache
	log      *slog.Logger
	syncMode SyncMode
	syncs    syncGrouper
	space    *space
	// merger is the store's merge operator: spliceMerger, or Pebble's
	// default on a store made before splices, which then has none
	// (kv.Splicer): Pebble opens a store only under the operator it was
	// made with.
	merger *pebble.Merger

	cur    atomic.Pointer[handle] // nil once closed, or while reopening
	writer sync.Mutex             // serialises Update
	closed atomic.Bool
	// closeMu makes a second Close wait for the first to finish.
	closeMu sync.Mutex
	// failed is set when the write-ahead log failed: see fail.
	failed atomic.Pointer[failure]

	loopMu sync.Mutex // guards opened, stopping, recovering and loops.Add
	// opened: Open has finished, so a failed log may start a recovery
	// loop; one failing while Open runs would outlive a failed Open, or
	// race it for the handle.
	opened     bool
	stopping   bool
	recovering bool // a recoverLoop runs
	stop       chan struct{}
	loops      sync.WaitGroup
}

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
	merger, err := storeMerger(opts.FS, dir)
	if err != nil {
		return nil, fmt.Errorf("local kv store (%s): %w", setting, err)
	}
	if opts.CacheBytes <= 0 {
		opts.CacheBytes = defaultCacheBytes
	}
	if opts.ReserveBytes == 0 {
		opts.ReserveBytes = defaultReserveBytes
	}
	if opts.GroupSyncInterval == 0 {
		opts.GroupSyncInterval = defaultGroupSyncInterval
	}
	s := &Store{
		dir:      dir,
		setting:  setting,
		cache:    pebble.NewCache(opts.CacheBytes),
		log:      logger(opts.Logger),
		syncMode: opts.Sync,
		syncs:    syncGrouper{interval: max(opts.GroupSyncInterval, 0)},
		space:    newSpace(opts.FS, dir, opts.ReserveBytes, logger(opts.Logger)),
		stop:     make(chan struct{}),
		merger:   merger,
	}
	s.fs = walWatchFS{FS: vfs.OnDiskFull(opts.FS, s.space.onDiskFull), onError: s.walFailed}
	db, err := s.openDB()
	if err == nil {
		err = s.space.resetBallast()
	}
	if err != nil {
		if db != nil {
			_ = db.Close()
		}
		s.cache.Unref()
		return nil, err
	}
	s.cur.Store(newHandle(db))
	s.loopMu.Lock()
	s.opened = true
	s.loopMu.Unlock()
	if s.failed.Load() != nil {
		s.startRecovery() // the log failed while Open ran
	}
	return s, nil
}

// openDB opens Pebble on the store's directory.
func (s *Store) openDB() (*pebble.DB, error) {
	popts := &pebble.Options{
		FormatMajorVersion: pebble.FormatNewest,
		Merger:             s.merger,
		Logger:             pebbleLogger{s.log},
		Cache:              s.cache,
		FS:                 s.fs,
		EventListener: &pebble.EventListener{
			// A SingleDelete over a key Set twice (kv.DeleteSetOnce
			// misused) shows here when a flush or compaction meets it.
			PossibleAPIMisuse: func(info pebble.PossibleAPIMisuseInfo) {
				s.log.Error("pebble: "+info.String(), "component", "pebble")
			},
		},
	}
	if s.syncs.interval > 0 && s.syncMode != SyncNone {
		popts.WALMinSyncInterval = s.syncs.minSyncInterval
	}
	popts.EnsureDefaults()
	db, err := pebble.Open(s.dir, popts)
	if err != nil {
		return nil, fmt.Errorf("local kv store (%s): open %s: %w", s.setting, s.dir, err)
	}
	return db, nil
}

// walFailed is told of every failed write-ahead log write or sync.
func (s *Store) walFailed(err error) {
	_ = s.fail(fmt.Errorf("write-ahead log: %w", err), false)
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

// unavailable is what a call gets when the store has no database to use:
// it is closed, or it is reopening its database after the log failed.
func (s *Store) unavailable() error {
	if s.closed.Load() {
		return ErrClosed
	}
	if err := s.failedErr(); err != nil {
		return err
	}
	return fmt.Errorf("%w: reopening", ErrLogFailed)
}

// View runs fn on a Pebble snapshot; it never waits for writers.
func (s *Store) View(ctx context.Context, fn func(r kv.Reader) error) error {
	h, err := s.open(ctx)
	if err != nil {
		return err
	}
	defer h.release()
	snap := h.db.NewSnapshot()
	defer snap.Close()
	return fn(reader{r: snap})
}

// Close stops any recovery in progress and closes the database once the
// calls using it have returned.
func (s *Store) Close() error {
	s.loopMu.Lock()
	if !s.stopping {
		s.stopping = true
		close(s.stop)
	}
	s.loopMu.Unlock()
	s.loops.Wait()
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed.Swap(true) {
		return nil
	}
	defer s.cache.Unref()
	h := s.cur.Swap(nil)
	if h == nil {
		return nil
	}
	// Not under the writer lock: a writer holding h may be waiting for
	// it, and finds the store closed once it has it.
	h.retire()
	if f := s.failed.Load(); f != nil && f.wedged {
		// Closing would wait for the commit lock Pebble's panic left
		// held; the process must exit to release the store.
		return s.failedErr()
	}
	if err := h.db.Close(); err != nil && s.failed.Load() == nil {
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
	h, err := s.open(ctx)
	if err != nil {
		return err
	}
	defer h.release()
	if err := h.db.Flush(); err != nil {
		return fmt.Errorf("local kv: flush: %w", err)
	}
	if err := h.db.Compact(ctx, []byte{0}, []byte{0xff, 0xff, 0xff, 0xff}, true); err != nil {
		return fmt.Errorf("local kv: compact: %w", err)
	}
	return nil
}

// LogBytes is how many bytes of records the write-ahead log took since
// the database opened: what the commits wrote. It is 0 while the store has
// no open database.
func (s *Store) LogBytes() uint64 {
	h := s.acquire()
	if h == nil {
		return 0
	}
	defer h.release()
	return h.db.Metrics().WAL.BytesIn
}

// TableBytes is the bytes of the store's live sstables: what its data
// costs at rest, without the write-ahead log. It is 0 while the store has
// no open database.
func (s *Store) TableBytes() int64 {
	h := s.acquire()
	if h == nil {
		return 0
	}
	defer h.release()
	m := h.db.Metrics()
	var n int64
	for _, l := range m.Levels {
		n += l.TablesSize
	}
	return n
}
