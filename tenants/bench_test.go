package tenants_test

import (
	"testing"
	"time"

	"github.com/sluice-mq/sluice/internal/kv/kvtest"
	"github.com/sluice-mq/sluice/tenants"
)

// BenchmarkResolve measures the SigV4 hot path on the local store: a
// cached key, and the store read behind a cache miss.
func BenchmarkResolve(b *testing.B) {
	store := kvtest.OpenLocal(b)
	sealer := newSealer(b)
	setup := tenants.New(store, sealer, tenants.Options{})
	mustCreateTenant(b, setup, "111122223333")
	k, _ := mustCreateKey(b, setup, "111122223333")
	for _, bc := range []struct {
		name string
		ttl  time.Duration
	}{{"cached", 0}, {"uncached", -1}} {
		c := tenants.New(store, sealer, tenants.Options{KeyCacheTTL: bc.ttl})
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := c.Resolve(ctx, k.ID); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
