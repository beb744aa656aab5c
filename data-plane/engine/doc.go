// Package engine is the message engine every SQS message call goes
// through: messages, visibility, delays, retention, dead-letter queues,
// counts, the cold tier, message move tasks and long polling, over the
// transactional store in internal/kv. Queue records are the catalog's
// (data-plane/queues); the engine reads them through it. It knows tenants
// and queues by account id, region and name; it knows nothing of HTTP.
//
// State lives only in the store, so any number of engines ("nodes") can
// share one. A node keeps only caches: scan floors, the windows of its
// lone claims, uncommitted count deltas and the long-poll waiters of its
// own callers.
//
// Each file holds one noun, the type that owns its methods where it has
// one; the *Engine keeps the public API and the background loops:
//
//   - engine.go: Engine, Options; New, Start, Close, Flush
//   - errors.go: errorf, the engine's SQS errors
//   - keys.go: the store's key layout (did, msgID, every key builder)
//   - message.go: messageRecord, one message's stored state
//   - record_codec.go: recordDecoder and the message record formats
//   - handle.go: receipt and handleSealer, sealed receipt handles
//   - send.go: SendMessage(Batch)
//   - receive.go: ReceiveMessage and claimer, one receive's transaction
//   - receive_oldest.go: claimer.claimOldest, a lone receive's oldest-first claim
//   - claim_kept.go: claimWindows, the shard windows a lone claim keeps for the next
//   - contention.go: receivers, whether a receive is alone on its queue
//   - msgid.go: idSource, message ids that sort in the order they were made
//   - ack.go: DeleteMessage(Batch), ChangeMessageVisibility(Batch)
//   - deadletter.go: moving a message past maxReceiveCount to its DLQ
//   - fifo.go: FIFO groups: groupRecord, orderEntry, groupRef, fifoGroups
//   - fifo_send.go: fifoSender and dedupRecord, the deduplication window
//   - fifo_receive.go: claiming FIFO groups; attemptRecord and its replay
//   - fifo_sweep.go: fifoGroups.dropExpired and rescue; the FIFO windows sweep
//   - halfmsg.go: transactional (half) messages: SendHalfMessage, EndTransaction, halfState
//   - halfmsg_checkback.go: CheckBack, claiming and asking producers about undecided ones
//   - movetask.go: message move task API, moveTaskRef, moveTaskRecord
//   - movetask_run.go: moveRunners, moveTask (lease, run) and pacer
//   - movetask_batch.go: moveTask.batch and mover, one batch's transaction
//   - movetask_handle.go: task handles
//   - counts.go: countDeltas and delta, approximate message counts
//   - stats.go: Stats, counts read without an engine
//   - floors.go: floorCache, per-shard scan floors
//   - scanhints.go: writeGuard and guardedStore, the scan margin's hints
//   - readcache.go: readyQueues, queues whose last receive found messages
//   - waiters.go: waiters and watcher, long polls
//   - wakeups.go: the recent-changes index that wakes other nodes' watchers
//   - due.go: the due index of queues with background work
//   - sweep.go: Sweep: expired messages, strays, deleted queues
//   - pages.go: forEachKey, a prefix read a page at a time
//   - queues.go: DeleteQueue and PurgeQueue, the catalog calls that end long polls
//   - cold.go: TieringOptions, coldTier, segRef/coldRef, cold records
//   - cold_prefetch.go: background fetches of segments a receive gave up on
//   - cold_reads.go: cold frames read outside transactions, between their rounds
//   - tier.go: Tier, rolling bodies into segments (policy: data-plane/tiering)
//   - tier_swap.go: swapping packed records to their segment, 64 at a time
//   - tierlease.go: tierLease and tierLeases, a shard's tiering lease
//   - tier_gc.go: segment collection, compaction, orphan and blob deletion
package engine
