package local

import (
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// ErrLogFailed is wrapped by every write after the store's write-ahead
// log failed to write or sync (a full disk the ballast did not cover, an
// I/O error). Pebble keeps a log's first error for good, so the store
// closes that database and opens it again on the same directory by
// itself, retrying with backoff until the disk takes writes; reopening
// recovers every acknowledged commit. Writes answered with an error
// before then may or may not have been applied.
var ErrLogFailed error = unavailable("local kv: the write-ahead log failed (is the disk full?); the store reopens itself when the disk takes writes again")

// errWedged is why a store cannot recover in-process: Pebble panicked in
// a commit, holding its commit lock, so its database cannot be closed.
var errWedged = errors.New("pebble panicked in a commit and holds its commit lock; restart the process to reopen the store")

const (
	reopenFirstWait = 50 * time.Millisecond
	reopenMaxWait   = 5 * time.Second
	probeBytes      = 64 << 10
	probeName       = "sluice-space-probe"
)

// failure is why the store takes no more writes.
type failure struct {
	err error
	// wedged: Pebble panicked inside a commit, holding its commit lock,
	// so the DB cannot even be closed.
	wedged bool
}

// fail records the log's first failure, starts the recovery, and returns
// the error every write now gets.
func (s *Store) fail(err error, wedged bool) error {
	if s.failed.CompareAndSwap(nil, &failure{err: err, wedged: wedged}) {
		s.startRecovery()
	}
	return s.failedErr()
}

func (s *Store) failedErr() error {
	f := s.failed.Load()
	switch {
	case f == nil:
		return nil
	case f.wedged:
		return fmt.Errorf("%w: %w: %w", ErrLogFailed, f.err, errWedged)
	default:
		return fmt.Errorf("%w: %w", ErrLogFailed, f.err)
	}
}

func (s *Store) startRecovery() {
	s.loopMu.Lock()
	defer s.loopMu.Unlock()
	if !s.opened || s.stopping || s.recovering {
		return
	}
	s.recovering = true
	s.loops.Add(1)
	go s.recoverLoop()
}

// recoverLoop reopens the database after its log failed, with backoff,
// until it succeeds or the store is closed.
func (s *Store) recoverLoop() {
	defer s.loops.Done()
	wait := reopenFirstWait
	for {
		select {
		case <-s.stop:
			s.endRecovery(true)
			return
		case <-time.After(wait):
		}
		err := s.reopen()
		switch {
		case err == nil:
			if s.endRecovery(false) {
				s.log.Warn("local kv: store reopened after its write-ahead log failed; writes resumed", "dir", s.dir)
				return
			}
			wait = reopenFirstWait // the new log failed already
		case errors.Is(err, errWedged):
			s.log.Error("local kv: store cannot recover in-process", "dir", s.dir, "err", err)
			s.endRecovery(true)
			return
		default:
			s.log.Debug("local kv: store not reopened yet", "dir", s.dir, "err", err)
			wait = min(2*wait, reopenMaxWait)
		}
	}
}

// endRecovery ends the loop unless the log failed again meanwhile (and
// not force): a failure recorded while the loop runs starts no other.
func (s *Store) endRecovery(force bool) bool {
	s.loopMu.Lock()
	defer s.loopMu.Unlock()
	if !force && s.failed.Load() != nil {
		return false
	}
	s.recovering = false
	return true
}

// reopen closes the failed database, once its users have drained, and
// opens it again. It first makes sure the disk takes writes, so the
// database keeps serving reads while the disk is still full.
func (s *Store) reopen() error {
	if f := s.failed.Load(); f != nil && f.wedged {
		return errWedged
	}
	if err := s.space.check(true); err != nil {
		return err
	}
	if err := s.probeWrite(); err != nil {
		return fmt.Errorf("the disk does not take writes yet: %w", err)
	}
	if old := s.cur.Swap(nil); old != nil {
		old.retire()
		// Pebble returns the log's error again; the database is closed
		// all the same.
		if err := old.db.Close(); err != nil {
			s.log.Debug("local kv: closing the failed database", "dir", s.dir, "err", err)
		}
	}
	// Cleared before the open, so a failure of the new log is recorded;
	// callers meanwhile get ErrLogFailed, "reopening".
	s.failed.Store(nil)
	db, err := s.openDB()
	if err != nil {
		return err
	}
	s.cur.Store(newHandle(db))
	return nil
}

// probeWrite writes and syncs a small file next to the store and removes
// it: the disk takes writes again.
func (s *Store) probeWrite() (err error) {
	path := s.space.fs.PathJoin(s.dir, probeName)
	f, err := s.space.fs.Create(path, vfs.WriteCategoryUnspecified)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, s.space.fs.Remove(path)) }()
	_, err = f.Write(make([]byte, probeBytes))
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}
