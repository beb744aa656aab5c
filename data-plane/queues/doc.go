// Package queues is the queue catalog: what a queue is, as opposed to the
// messages it holds (data-plane/engine). It owns
//
//   - the queue records C/q/{account}/{region}/{name}, the deleted-recently
//     markers C/d/..., the account's queue count C/n/{account} and the key
//     Q/{did}/q that names a data range's queue;
//   - attributes and their validation, tags, ARNs, the Policy edits of
//     AddPermission and RemovePermission, and the cold-tier settings;
//   - creating, changing, purging (switching to a fresh data range) and
//     deleting queues. Delete and purge leave the old range behind a G/{did}
//     garbage marker for the engine's sweeper.
//
// It depends only on the store (internal/kv) and a clock, so a node that
// only administers queues (the control plane) needs no engine. The engine
// reads records through Catalog.Load and Catalog.Read inside its own
// transactions, through ReadWith in one request with keys of its own, and
// through ReadRecent where a record a moment old will do (recent.go).
package queues
