// Package kv is the transactional key-value interface every piece of Sluice
// state goes through, shaped after TiKV transactions. Drivers: tikv
// (client-go, the clustered store) and local (Pebble, one process).
//
// Keys are ordered byte-wise. Values are never empty: TiKV cannot store an
// empty value, so no driver accepts one (use a one-byte marker instead).
package kv

import (
	"context"
	"errors"
)

var (
	// ErrNotFound is returned (wrapped) by Get when the key does not exist.
	ErrNotFound = errors.New("kv: key not found")
	// ErrUnavailable is wrapped by errors of a store that cannot serve the
	// call now but recovers by itself (a full disk): a client should retry
	// later.
	ErrUnavailable = errors.New("kv: store temporarily unavailable")
	// ErrConflict reports a transaction that kept conflicting with others
	// until Update gave up. A transaction function may also return it
	// (wrapped) to ask Update for another attempt.
	ErrConflict = errors.New("kv: transaction conflict")
	// ErrDropped is wrapped by an error a transaction function returns to
	// drop its transaction on purpose, meaning to run it again once it has
	// done something outside it (an engine fetching cold frames): not a
	// failure of the store.
	ErrDropped = errors.New("kv: transaction dropped to run again")
	// ErrEmptyValue is returned by Set for a nil or empty value.
	ErrEmptyValue = errors.New("kv: empty value")
	// ErrEmptyKey is returned for a nil or empty key.
	ErrEmptyKey = errors.New("kv: empty key")
)

// KV is one key and its value.
type KV struct {
	Key   []byte
	Value []byte
}

// Reader reads a consistent snapshot of the store. Byte slices it returns
// belong to the caller.
type Reader interface {
	// Get returns the value of key, or an error wrapping ErrNotFound.
	Get(ctx context.Context, key []byte) ([]byte, error)
	// BatchGet returns the values of the keys that exist, keyed by
	// string(key); missing keys are absent from the map.
	BatchGet(ctx context.Context, keys [][]byte) (map[string][]byte, error)
	// Scan returns up to limit pairs with start <= key < end in ascending
	// order. A nil end means no upper bound; limit <= 0 means no limit.
	Scan(ctx context.Context, start, end []byte, limit int) ([]KV, error)
	// ReverseScan returns up to limit pairs with start <= key < end in
	// descending order, beginning just below end. A nil end means no upper
	// bound; limit <= 0 means no limit.
	ReverseScan(ctx context.Context, start, end []byte, limit int) ([]KV, error)
}

// Txn is a read-write transaction. Reads see the transaction's own writes.
// A Txn is used by one goroutine and only inside the function given to
// Update.
type Txn interface {
	Reader
	// Set writes value under key when the transaction commits.
	Set(key, value []byte) error
	// Delete removes key when the transaction commits.
	Delete(key []byte) error
	// LockSkip tries to lock each key for the rest of the transaction
	// without waiting. It returns, in the order given, the keys it locked
	// that still exist, with their latest committed values (or this
	// transaction's own writes). Keys locked by another transaction, and
	// keys that no longer exist, are skipped. Use the returned values, not
	// an earlier read: a key may have changed since the transaction began.
	LockSkip(ctx context.Context, keys [][]byte) ([]KV, error)
}

// SerialTxn is a Txn that runs alone: while it is open no other
// transaction can lock or write anything (the local driver's writer
// lock), so its LockSkip only ever skips keys that no longer exist.
// Callers may then read no more candidates than they need, where on a
// store with concurrent writers they read a window past the ones others
// hold.
type SerialTxn interface {
	Txn
	// Serial marks the Txn; it does nothing.
	Serial()
}

// IsSerial reports whether tx runs alone (SerialTxn).
func IsSerial(tx Txn) bool {
	_, ok := tx.(SerialTxn)
	return ok
}

// Store is a transactional key-value store.
type Store interface {
	// Update runs fn in a read-write transaction and commits it. When the
	// commit conflicts with another transaction, fn runs again on a fresh
	// transaction, with backoff, until it commits, fn fails, ctx ends, or
	// the attempts run out (an error wrapping ErrConflict). fn must not
	// keep side effects of an attempt that did not commit. Update returns
	// only after the commit is durable.
	Update(ctx context.Context, fn func(tx Txn) error) error
	// View runs fn on a consistent read-only snapshot.
	View(ctx context.Context, fn func(r Reader) error) error
	// Close releases the store. Calls in flight must have returned.
	Close() error
}

// SetOnceDeleter is a Txn that can delete a key more cheaply when the
// caller knows the key was written (Set) at most once since it was last
// deleted, or ever: Pebble's SingleDelete, whose tombstone and the value
// it covers both vanish as soon as they meet in a flush or compaction,
// where a plain tombstone lives on until it reaches the bottom level. A
// key Set twice and then deleted this way may bring its older value back,
// so it is only for keys every writer Sets once per life (index entries).
type SetOnceDeleter interface {
	Txn
	DeleteSetOnce(key []byte) error
}

// DeleteSetOnce deletes a key that was Set at most once since it was last
// deleted (SetOnceDeleter), with a plain Delete on stores without it.
func DeleteSetOnce(tx Txn, key []byte) error {
	if d, ok := tx.(SetOnceDeleter); ok {
		return d.DeleteSetOnce(key)
	}
	return tx.Delete(key)
}

// ApplyNotifier is a Txn whose writes become visible to new reads before
// its Update returns: the local driver applies a batch under its writer
// lock, then waits for the log's sync outside it. OnApplied has f run once
// the transaction's writes are visible, or once it ends without them (it
// wrote nothing, or failed), before Update returns.
type ApplyNotifier interface {
	Txn
	OnApplied(f func())
}

// LazyUpdater is a Store that can commit without waiting for the commit
// to be durable: it is visible to every reader at once, and durable no
// later than the next commit made with Update. For changes whose loss in
// a crash is harmless, such as a receive's claim on a message (lost, the
// message is simply visible again: SQS delivers at least once).
type LazyUpdater interface {
	UpdateLazy(ctx context.Context, fn func(tx Txn) error) error
}

// UpdateLazy commits fn lazily when s supports it, else like Update.
func UpdateLazy(ctx context.Context, s Store, fn func(tx Txn) error) error {
	if l, ok := s.(LazyUpdater); ok {
		return l.UpdateLazy(ctx, fn)
	}
	return s.Update(ctx, fn)
}
