package usage_test

import (
	"context"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/billing/usage"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

// The Source reads what records hold, summed over nodes, per queue or not.
func TestSourceReadsRecords(t *testing.T) {
	ctx := context.Background()
	s := kvtest.OpenLocal(t)
	hour := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)
	var a, b usage.Counters
	a.IngressBytes, b.IngressBytes = 5, 7
	err := s.Update(ctx, func(tx kv.Txn) error {
		if err := tx.Set(usage.RecordKey("111111111111", "us-east-1", "q1", hour, "0000000000000001"), usage.EncodeRecord(&a, hour)); err != nil {
			return err
		}
		return tx.Set(usage.RecordKey("111111111111", "us-east-1", "q2", hour, "0000000000000002"), usage.EncodeRecord(&b, hour))
	})
	if err != nil {
		t.Fatal(err)
	}
	src := usage.NewSource(s)
	for _, byQueue := range []bool{false, true} {
		qs, err := src.Quantities(ctx, "111111111111", hour, hour.Add(time.Hour), byQueue)
		if err != nil {
			t.Fatal(err)
		}
		var sum int64
		queues := map[string]bool{}
		for _, q := range qs {
			if q.Meter == usage.IngressBytes {
				sum += q.Amount
				queues[q.Queue] = true
			}
		}
		if sum != 12 || (byQueue && len(queues) != 2) || (!byQueue && len(queues) != 1) {
			t.Fatalf("byQueue %v: ingress %d over %v, want 12 over q1, q2", byQueue, sum, queues)
		}
	}
	if qs, err := src.Quantities(ctx, "222222222222", hour, hour.Add(time.Hour), false); err != nil || len(qs) != 0 {
		t.Fatalf("another account: %v, %v", qs, err)
	}
}
