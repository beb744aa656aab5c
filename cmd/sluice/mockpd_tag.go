//go:build sluice_mocktikv

package main

import (
	"context"
	"fmt"

	"github.com/tikv/client-go/v2/testutils"
	clienttikv "github.com/tikv/client-go/v2/tikv"

	"github.com/sluice-mq/sluice/internal/kv/tikv"
)

// openMockTiKV opens the tikv driver over client-go's in-process mock
// store, so e2e tests can run `sluice serve` without a TiKV cluster. Only
// binaries built with -tags sluice_mocktikv have it: the mock must never
// ship.
func openMockTiKV(opts tikv.Options) (*tikv.Store, error) {
	client, cluster, pdClient, err := testutils.NewMockTiKV("", nil)
	if err != nil {
		return nil, fmt.Errorf("mock tikv: %w", err)
	}
	testutils.BootstrapWithSingleStore(cluster)
	store, err := clienttikv.NewTestTiKVStore(client, pdClient, nil, nil, 0)
	if err != nil {
		return nil, fmt.Errorf("mock tikv store: %w", err)
	}
	// Real TiKV drops versions below the safe point itself; the mock
	// needs telling, or its scans slow down as versions pile up.
	opts.AfterGC = func(_ context.Context, safePoint uint64) error {
		return client.MvccStore.GC(nil, nil, safePoint)
	}
	return tikv.New(store, opts), nil
}
