package kv_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
	"github.com/sluice-mq/sluice/internal/kv/local"
)

type benchDriver struct {
	name string
	open func(tb testing.TB) kv.Store
}

// benchDrivers adds the local driver's other commit modes to the drivers,
// so one run compares them.
func benchDrivers() []benchDriver {
	var out []benchDriver
	for _, d := range kvtest.Drivers() {
		out = append(out, benchDriver{d.Name, d.Open})
	}
	for name, mode := range map[string]local.SyncMode{"local-logdata": local.SyncLogData, "local-nosync": local.SyncNone} {
		out = append(out, benchDriver{name, func(tb testing.TB) kv.Store {
			s, err := local.Open(filepath.Join(tb.TempDir(), "kv"), local.Options{Sync: mode})
			if err != nil {
				tb.Fatal(err)
			}
			tb.Cleanup(func() { _ = s.Close() })
			return s
		}})
	}
	return out
}

func BenchmarkSend(b *testing.B) {
	for _, d := range benchDrivers() {
		for _, workers := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/goroutines=%d", d.name, workers), func(b *testing.B) {
				kvtest.BenchSend(b, d.open(b), workers)
			})
		}
	}
}

func BenchmarkClaim(b *testing.B) {
	for _, d := range benchDrivers() {
		for _, workers := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/goroutines=%d", d.name, workers), func(b *testing.B) {
				kvtest.BenchClaim(b, d.open(b), workers)
			})
		}
	}
}
