// Package kvtest runs the kv conformance suite and benchmarks and opens
// every kv driver for tests. It is imported by tests only: it pulls in
// client-go's in-process mock store, which must never ship.
package kvtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	pingcaplog "github.com/pingcap/log"
	"github.com/tikv/client-go/v2/testutils"
	clienttikv "github.com/tikv/client-go/v2/tikv"
	pd "github.com/tikv/pd/client"
	"go.uber.org/zap/zapcore"

	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/local"
	"github.com/sluice-mq/sluice/internal/kv/tikv"
)

// Driver opens a fresh, empty store for one test.
type Driver struct {
	Name string
	Open func(tb testing.TB) kv.Store
}

// ClusterEnv names PD addresses of a real TiKV cluster (comma-separated).
// When set, every storage test also runs on that cluster, each test in a
// key range of its own.
const ClusterEnv = "SLUICE_TEST_PD"

// Drivers lists every driver a storage test must run on.
func Drivers() []Driver {
	drivers := []Driver{
		{Name: "local", Open: OpenLocal},
		{Name: "tikv", Open: OpenMockTiKV},
	}
	if os.Getenv(ClusterEnv) != "" {
		drivers = append(drivers, Driver{Name: "tikv-cluster", Open: OpenClusterTiKV})
	}
	return drivers
}

var (
	clusterOnce  sync.Once
	clusterStore *tikv.Store
	clusterErr   error
)

// OpenClusterTiKV returns the real cluster named by SLUICE_TEST_PD, seen
// through a key prefix unique to the test. It skips without the variable.
func OpenClusterTiKV(tb testing.TB) kv.Store {
	tb.Helper()
	addrs := os.Getenv(ClusterEnv)
	if addrs == "" {
		tb.Skipf("%s not set", ClusterEnv)
	}
	clusterOnce.Do(func() {
		clusterStore, clusterErr = tikv.Open(context.Background(), tikv.Config{PDAddrs: strings.Split(addrs, ",")})
	})
	if clusterErr != nil {
		tb.Fatal(clusterErr)
	}
	prefix := fmt.Appendf(nil, "T/%d/%s/", time.Now().UnixNano(), tb.Name())
	return prefixStore{inner: clusterStore, prefix: prefix}
}

// ForEachDriver runs test once per driver as a subtest.
func ForEachDriver(t *testing.T, test func(t *testing.T, store kv.Store)) {
	for _, d := range Drivers() {
		t.Run(d.Name, func(t *testing.T) { test(t, d.Open(t)) })
	}
}

// OpenLocal opens a durable Pebble store in a temporary directory.
func OpenLocal(tb testing.TB) kv.Store {
	tb.Helper()
	s, err := local.Open(filepath.Join(tb.TempDir(), "kv"), local.Options{})
	if err != nil {
		tb.Fatalf("open local store: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// OpenMockTiKV opens the tikv driver over client-go's in-process mock
// store: the same client-go transaction code as production, in memory. Its
// GC loop runs every second and also drops old versions from the mock,
// which real TiKV does by itself; without it the mock's scans slow down as
// versions pile up.
func OpenMockTiKV(tb testing.TB) kv.Store {
	tb.Helper()
	s, _ := OpenMockTiKVWithOptions(tb, tikv.Options{GCInterval: time.Second, GCLifetime: 10 * time.Second})
	return s
}

// OpenMockTiKVWithOptions is OpenMockTiKV with chosen options; it also
// returns the mock client so tests can reach the mock's MVCC store.
func OpenMockTiKVWithOptions(tb testing.TB, opts tikv.Options) (*tikv.Store, *testutils.MockClient) {
	tb.Helper()
	return OpenMockTiKVHijacked(tb, opts, nil, nil)
}

// OpenMockTiKVHijacked is OpenMockTiKVWithOptions with client-go's RPC
// and PD clients wrapped by the hijacks (nil: not wrapped), as
// internal/kv/kvfault's fault injectors are installed.
func OpenMockTiKVHijacked(tb testing.TB, opts tikv.Options, rpc func(clienttikv.Client) clienttikv.Client, pd func(pd.Client) pd.Client) (*tikv.Store, *testutils.MockClient) {
	tb.Helper()
	return openMockTiKV(tb, opts, rpc, pd, nil)
}

// OpenMockTiKVRegions is OpenMockTiKVHijacked (without a PD hijack) over a
// mock store split into regions at splitKeys, so that one transaction's
// requests for several keys go to several regions, as on a cluster.
func OpenMockTiKVRegions(tb testing.TB, opts tikv.Options, rpc func(clienttikv.Client) clienttikv.Client, splitKeys ...[]byte) *tikv.Store {
	tb.Helper()
	s, _ := openMockTiKV(tb, opts, rpc, nil, splitKeys)
	return s
}

func openMockTiKV(tb testing.TB, opts tikv.Options, rpc func(clienttikv.Client) clienttikv.Client, pd func(pd.Client) pd.Client, splitKeys [][]byte) (*tikv.Store, *testutils.MockClient) {
	tb.Helper()
	client, cluster, pdClient, err := testutils.NewMockTiKV("", nil)
	if err != nil {
		tb.Fatalf("mock tikv: %v", err)
	}
	if len(splitKeys) > 0 {
		testutils.BootstrapWithMultiRegions(cluster, splitKeys...)
	} else {
		testutils.BootstrapWithSingleStore(cluster)
	}
	// The no-wait fix sits next to the mock (it works around the mock's
	// deadlock detector); injected faults wrap it as they would TiKV.
	hijack := func(c clienttikv.Client) clienttikv.Client {
		c = noWaitClient{c}
		if rpc != nil {
			c = rpc(c)
		}
		return c
	}
	store, err := clienttikv.NewTestTiKVStore(client, pdClient, hijack, pd, 0)
	if err != nil {
		tb.Fatalf("mock tikv store: %v", err)
	}
	if opts.AfterGC == nil {
		opts.AfterGC = func(_ context.Context, safePoint uint64) error {
			return client.MvccStore.GC(nil, nil, safePoint)
		}
	}
	s := tikv.New(store, opts)
	// The mock implements neither 1PC nor async commit, and client-go
	// warns about each fallback.
	pingcaplog.SetLevel(zapcore.ErrorLevel)
	tb.Cleanup(func() { _ = s.Close() })
	return s, client
}
