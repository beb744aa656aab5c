package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/periodic"
)

// Options tunes an engine. Zero values mean the defaults.
type Options struct {
	// Clock returns the current time; tests inject their own.
	Clock func() time.Time
	// ReceiptKey signs receipt handles. Every node sharing a store must use
	// the same key. Required.
	ReceiptKey []byte
	// NodeID names this node in count records; random by default.
	NodeID string
	// Shards is the number of visibility-index shards per queue (1–64,
	// default 8): contended receivers start at a random shard, so they
	// rarely contend for the same messages; a lone one reads them all.
	// It is part of the store's layout: every engine on a store must use
	// the one its messages were sent with (StoredShards, shards.go).
	Shards int
	// PollInterval bounds how long a long-polling receive takes to notice
	// a message sent through another node (default 100 ms).
	PollInterval time.Duration
	// FlushInterval is how often count deltas and scan floors are written
	// to the store (default 1 s).
	FlushInterval time.Duration
	// SweepInterval is how often deleted and purged data, expired messages
	// and stale markers are removed (default 1 min).
	SweepInterval time.Duration
	// ScanMargin is how far behind the clock a receive starts scanning
	// after the last scan, for messages other nodes commit late (see
	// scanhints.go). Default 250 ms; a negative value means none, for an
	// engine that is its store's only writer (sluice dev).
	ScanMargin time.Duration
	// Tiering configures the cold tier (cold.go); off without a blob store.
	Tiering TieringOptions
	// QueueRecreateDelay is how long after a delete a queue's name cannot
	// be taken again (QueueDeletedRecently): 0 means SQS's 60 s, a
	// negative value none (see queues.Options.RecreateDelay).
	QueueRecreateDelay time.Duration
	// CheckBackInterval is how often the check-back index of half
	// messages is read (default 1 s; halfmsg_checkback.go).
	CheckBackInterval time.Duration
	// CheckBackClient makes check-back requests; nil means
	// http.DefaultClient.
	CheckBackClient *http.Client
	Logger          *slog.Logger
}

// Engine is one node's queue engine.
type Engine struct {
	store   kv.Store
	opts    Options
	clock   func() time.Time
	log     *slog.Logger
	handles handleSealer
	counts  *countDeltas
	floors  *floorCache
	guard   *writeGuard     // Updates in progress, for scan hints
	catalog *queues.Catalog // queue records, through this engine's store
	stats   *Stats
	ready   readyQueues // queues whose last receive found messages
	waiters *waiters
	// claiming spreads this node's concurrent receivers over shards.
	claiming *shardLocks
	// readOn remembers where claims reading past entries they could not
	// take stopped (claim_readon.go).
	readOn *readOnCursors
	// receivers tells a receive whether it is alone on its queue, and so
	// claims oldest-first (contention.go).
	receivers *receivers
	// windows are lone claims' scans kept for the next (claim_kept.go).
	windows *claimWindows
	// ids makes message ids that sort in the order they were made (msgid.go).
	ids *idSource
	// movers are the message move tasks this node runs.
	movers *moveRunners
	// moveObserver is told of each move-task batch (ObserveMoveTasks).
	moveObserver atomic.Pointer[MoveObserver]
	// cold reads and writes segments; nil without a blob store.
	cold *coldTier
	// tierLeases are the tiering leases of the queue shards this node tiers.
	tierLeases tierLeases

	// visiting lets one pass over the due index run at a time on this
	// node; lastRescan is when its last rescan ran (unix ms).
	visiting   sync.Mutex
	lastRescan atomic.Int64
	// lastTier is when this node's last tiering pass ended (unix ms).
	lastTier atomic.Int64
	// flushing lets one Flush run at a time (the background loop,
	// Close, and callers that then read counts).
	flushing sync.Mutex

	stop context.CancelFunc
	bg   sync.WaitGroup
}

// New returns an engine over store. Call Start to run its background work
// and Close to stop it.
func New(store kv.Store, opts Options) (*Engine, error) {
	if len(opts.ReceiptKey) < 16 {
		return nil, errors.New("engine: ReceiptKey must be at least 16 bytes")
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.NodeID == "" {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		opts.NodeID = hex.EncodeToString(b)
	}
	if opts.Shards <= 0 {
		opts.Shards = DefaultShards
	}
	if opts.Shards > maxShards {
		return nil, fmt.Errorf("engine: at most %d shards", maxShards)
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 100 * time.Millisecond
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = time.Second
	}
	if opts.CheckBackInterval <= 0 {
		opts.CheckBackInterval = time.Second
	}
	if opts.SweepInterval <= 0 {
		opts.SweepInterval = time.Minute
	}
	switch {
	case opts.ScanMargin == 0:
		opts.ScanMargin = 250 * time.Millisecond
	case opts.ScanMargin < 0:
		opts.ScanMargin = 0
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	cold, err := newColdTier(opts.Tiering)
	if err != nil {
		return nil, err
	}
	if cold != nil {
		opts.Tiering = cold.opts
	}
	guard := newWriteGuard()
	e := &Engine{
		cold:      cold,
		store:     guardedStore{Store: store, guard: guard, clock: opts.Clock},
		guard:     guard,
		opts:      opts,
		clock:     opts.Clock,
		log:       opts.Logger,
		handles:   newHandleSealer(opts.ReceiptKey),
		counts:    newCountDeltas(opts.Clock),
		floors:    newFloorCache(),
		waiters:   newWaiters(),
		claiming:  &shardLocks{},
		readOn:    newReadOnCursors(),
		receivers: newReceivers(time.Now),
		windows:   newClaimWindows(time.Now),
		ids:       newIDSource(opts.Clock),
		movers:    newMoveRunners(),
		stop:      func() {},
	}
	e.tierLeases = tierLeases{store: e.store, clock: opts.Clock, node: opts.NodeID, term: opts.Tiering.Lease}
	e.catalog = queues.NewWithOptions(e.store, queues.Options{Clock: opts.Clock, RecreateDelay: opts.QueueRecreateDelay})
	e.stats = &Stats{store: e.store, catalog: e.catalog, clock: opts.Clock, shards: opts.Shards, counts: e.counts,
		gone: func(_ context.Context, d did) error { e.waiters.notify(d); return nil }}
	e.waiters.attach(e)
	return e, nil
}

// Catalog returns the queue catalog the engine reads queue records
// through; its writes go through the engine's store, as the engine's own do.
func (e *Engine) Catalog() *queues.Catalog { return e.catalog }

// Start runs the background loops: flushing counts and floors, sweeping,
// and resuming message move tasks no node runs. They stop when ctx ends or
// Close is called.
func (e *Engine) Start(ctx context.Context) {
	ctx, e.stop = context.WithCancel(ctx)
	e.bg.Add(4)
	go e.every(ctx, e.opts.FlushInterval, "flush", e.Flush)
	go e.every(ctx, e.opts.SweepInterval, "sweep", e.Sweep)
	go e.every(ctx, e.opts.CheckBackInterval, "check back half messages", e.CheckBack)
	// Resume tasks at once, then keep taking over the tasks of nodes that
	// stopped renewing their leases.
	go func() {
		defer e.bg.Done()
		periodic.RunNow(ctx, moveTaskScanInterval, e.log, "resume message move tasks", e.ResumeMessageMoveTasks)
	}()
	if e.cold != nil {
		e.bg.Add(1)
		go e.every(ctx, e.opts.Tiering.Interval, "tier", e.Tier)
	}
}

func (e *Engine) every(ctx context.Context, interval time.Duration, what string, fn func(context.Context) error) {
	defer e.bg.Done()
	periodic.Run(ctx, interval, e.log, what, fn)
}

// Close stops the background loops and the move tasks this node runs
// (releasing their leases, so another node resumes them at once), and
// flushes what this node still holds.
func (e *Engine) Close() error {
	e.stop()
	e.bg.Wait()
	stopErr := e.movers.stop(e, true)
	e.waiters.close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	defer e.cold.close()
	return errors.Join(stopErr, e.Flush(ctx))
}

// Flush writes this node's count deltas and scan floors to the store, and
// marks the queues its calls changed due for background work (due.go).
//
// Flushes run one at a time: a flush takes the deltas out of memory before
// it writes them, so a Flush that ran beside another could return while
// that one still held deltas committed before the call, and a reader that
// flushed and then read the counts would miss them (a drained queue read
// as still holding its last messages).
func (e *Engine) Flush(ctx context.Context) error {
	e.flushing.Lock()
	defer e.flushing.Unlock()
	return errors.Join(e.flushCounts(ctx), e.flushFloors(ctx), e.markTouched(ctx))
}
