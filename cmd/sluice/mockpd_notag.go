//go:build !sluice_mocktikv

package main

import (
	"errors"

	"github.com/sluice-mq/sluice/internal/kv/tikv"
)

// openMockTiKV refuses --pd mock:// in shipped binaries, which must not
// link client-go's mock store (see mockpd_tag.go).
func openMockTiKV(tikv.Options) (*tikv.Store, error) {
	return nil, errors.New("--pd " + mockPD + " is for tests only: it needs a binary built with -tags sluice_mocktikv")
}
