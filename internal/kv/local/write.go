package local

import (
	"context"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/sluice-mq/sluice/internal/kv"
)

// Update runs fn against an indexed batch while holding the writer lock.
func (s *Store) Update(ctx context.Context, fn func(tx kv.Txn) error) error {
	h, err := s.open(ctx)
	if err != nil {
		return err
	}
	defer h.release()
	s.syncs.begin()
	defer s.syncs.end()
	lazy := false
	batch, err := s.runLocked(h, fn, lazy)
	if err != nil || batch == nil {
		return err
	}
	defer batch.Close()
	switch s.syncMode {
	case SyncApplyNoWait:
		err = batch.SyncWait()
	case SyncLogData:
		err = s.logData(h)
	}
	if err != nil {
		return s.fail(fmt.Errorf("sync commit: %w", err), false)
	}
	return nil
}

// logData syncs the WAL with an empty record (SyncLogData). It runs
// outside the writer lock, so it can still meet a log that failed after
// the check; Pebble's panic then becomes the store's failure.
func (s *Store) logData(h *handle) (err error) {
	if err := s.failedErr(); err != nil {
		return err
	}
	defer s.recoverCommitPanic(&err)
	return h.db.LogData(nil, pebble.Sync)
}

// UpdateLazy is Update without waiting for the commit to reach the disk:
// the batch goes to the WAL unsynced, and the next durable commit's sync
// covers it, since the WAL is one ordered log.
func (s *Store) UpdateLazy(ctx context.Context, fn func(tx kv.Txn) error) error {
	h, err := s.open(ctx)
	if err != nil {
		return err
	}
	defer h.release()
	lazy := true
	batch, err := s.runLocked(h, fn, lazy)
	if batch != nil {
		batch.Close()
	}
	return err
}

// runLocked runs fn on an indexed batch under the writer lock and applies
// it: lazy, unsynced (the next synced commit covers it); otherwise as the
// sync mode says, the caller then waiting for the sync. It returns the
// applied batch, or nil when fn wrote nothing.
func (s *Store) runLocked(h *handle, fn func(tx kv.Txn) error, lazy bool) (*pebble.Batch, error) {
	s.writer.Lock()
	defer s.writer.Unlock()
	if s.closed.Load() {
		return nil, ErrClosed
	}
	if err := s.refusal(); err != nil {
		return nil, err
	}
	batch := h.db.NewIndexedBatch()
	t, tx := s.newTxn(batch)
	// Deferred after the unlock, so run before it: once the batch is
	// applied (visible to every new read) or dropped, still serial.
	defer t.notifyApplied()
	if err := fn(tx); err != nil {
		batch.Close()
		return nil, err
	}
	if batch.Empty() {
		batch.Close()
		return nil, nil
	}
	// Checked again: fn may have run while the log failed.
	if err := s.failedErr(); err != nil {
		batch.Close()
		return nil, err
	}
	if err := s.apply(h, batch, lazy); err != nil {
		batch.Close()
		return nil, err
	}
	return batch, nil
}

// refusal is why a write may not start now: a failed log, or a full disk.
func (s *Store) refusal() error {
	if err := s.failedErr(); err != nil {
		return err
	}
	return s.space.check(false)
}

// apply applies the batch. Pebble panics when it cannot write a batch to
// a log that already failed; the panic becomes the store's failure, and
// the store never calls into Pebble's commit path again.
func (s *Store) apply(h *handle, batch *pebble.Batch, lazy bool) (err error) {
	defer s.recoverCommitPanic(&err)
	switch {
	case !lazy && s.syncMode == SyncApplyNoWait:
		err = h.db.ApplyNoSyncWait(batch, pebble.Sync)
	default:
		err = h.db.Apply(batch, pebble.NoSync)
	}
	if err != nil {
		return fmt.Errorf("local kv: apply commit: %w", err)
	}
	return nil
}

// recoverCommitPanic turns a panic in Pebble's commit path into the
// store's failure. Pebble still holds its commit lock then (wedged).
func (s *Store) recoverCommitPanic(err *error) {
	r := recover()
	if r == nil {
		return
	}
	perr, ok := r.(error)
	if !ok {
		perr = fmt.Errorf("%v", r)
	}
	*err = s.fail(fmt.Errorf("pebble panicked applying a commit: %w", perr), true)
}
