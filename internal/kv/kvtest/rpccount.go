package kvtest

import (
	"context"
	"maps"
	"sync"
	"testing"
	"time"

	clienttikv "github.com/tikv/client-go/v2/tikv"
	"github.com/tikv/client-go/v2/tikvrpc"
	"github.com/tikv/client-go/v2/util/async"

	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/tikv"
)

// RPCCounts counts the requests the tikv driver sends to the store, by
// kind ("Get", "Scan", "PessimisticLock", "Prewrite", "Commit", ...): each
// is a network round trip on a real cluster.
type RPCCounts struct {
	mu sync.Mutex
	n  map[string]int64
}

func (c *RPCCounts) add(req *tikvrpc.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int64{}
	}
	c.n[req.Type.String()]++
}

// Snapshot returns the counts so far.
func (c *RPCCounts) Snapshot() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.n)
}

// countingClient counts every request on its way to the wrapped client.
type countingClient struct {
	clienttikv.Client
	counts *RPCCounts
}

func (c countingClient) SendRequest(ctx context.Context, addr string, req *tikvrpc.Request, timeout time.Duration) (*tikvrpc.Response, error) {
	c.counts.add(req)
	return c.Client.SendRequest(ctx, addr, req, timeout)
}

func (c countingClient) SendRequestAsync(ctx context.Context, addr string, req *tikvrpc.Request, cb async.Callback[*tikvrpc.Response]) {
	c.counts.add(req)
	c.Client.SendRequestAsync(ctx, addr, req, cb)
}

// OpenMockTiKVCounted is OpenMockTiKV whose requests to the mock store are
// counted.
func OpenMockTiKVCounted(tb testing.TB) (kv.Store, *RPCCounts) {
	tb.Helper()
	counts := &RPCCounts{}
	s, _ := OpenMockTiKVHijacked(tb, tikv.Options{GCInterval: time.Second, GCLifetime: 10 * time.Second}, func(c clienttikv.Client) clienttikv.Client {
		return countingClient{Client: c, counts: counts}
	}, nil)
	return s, counts
}
