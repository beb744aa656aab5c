package kvtest

import (
	"testing"

	"github.com/sluice-mq/sluice/internal/kv"
)

// The wrapper used for real clusters must itself pass the suite.
func TestPrefixStoreConformance(t *testing.T) {
	Run(t, func(tb testing.TB) kv.Store {
		inner := OpenLocal(tb)
		// Neighbouring data on both sides must stay invisible.
		if err := inner.Update(t.Context(), func(tx kv.Txn) error {
			for _, k := range []string{"T/0", "T/1", "T/2", "U/x", "A"} {
				if err := tx.Set([]byte(k), []byte("noise")); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			tb.Fatal(err)
		}
		return prefixStore{inner: inner, prefix: []byte("T/1/")}
	})
}
