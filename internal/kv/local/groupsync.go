package local

import (
	"sync/atomic"
	"time"
)

// groupWriters is how many durable commits must be in flight before the
// log's syncs are spaced: a producer and a consumer each committing alone
// (workload a) stay under it, eight of each (workload b) are over it.
const groupWriters = 4

// syncGrouper spaces the write-ahead log's syncs while many durable
// commits are in flight, so that more of them share one sync (Pebble's
// WALMinSyncInterval, asked after every sync). Under workload b that cost
// the server about 5 % less CPU per message; spacing every sync instead
// made a lone writer wait up to the interval for each commit, and cut
// workload a's throughput by a third (docs/architecture.md, section 6).
type syncGrouper struct {
	interval time.Duration // 0: never spaced
	inFlight atomic.Int32  // durable Updates between their start and their sync
}

// begin counts a durable commit in flight until end.
func (g *syncGrouper) begin() { g.inFlight.Add(1) }

func (g *syncGrouper) end() { g.inFlight.Add(-1) }

// minSyncInterval is how long the log waits after a sync before the next.
func (g *syncGrouper) minSyncInterval() time.Duration {
	if g.inFlight.Load() >= groupWriters {
		return g.interval
	}
	return 0
}
