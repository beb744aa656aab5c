package meter_test

import (
	"context"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/billing/meter"
	"github.com/sluice-mq/sluice/billing/usage"
	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

type fixedStorage map[string]engine.QueueStorage

// QueueBytes answers by the queue's data range, as the store names it.
func (f fixedStorage) QueueBytes(ctx context.Context, r kv.Reader, q *queues.Record) (int64, int64, error) {
	v, err := r.Get(ctx, queues.NameKey(q.DID()))
	if err != nil {
		return 0, 0, err
	}
	ref, _ := queues.ParseKey(v)
	st := f[ref.Name]
	return st.HotBytes, st.ColdBytes, nil
}

// TestSamplerStorageAndQueueHours: two nodes run samplers for 90 minutes
// of a fake clock; each minute is sampled once, by the lease holder, and
// the reader floors byte-minutes and queue-minutes to hours.
func TestSamplerStorageAndQueueHours(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, s kv.Store) {
		ctx := context.Background()
		clk := &fakeClock{t: time.Date(2025, 3, 4, 10, 0, 5, 0, time.UTC)}
		cat := queues.New(s, clk.Now)
		for _, name := range []string{"a", "b.fifo"} {
			attrs := map[string]string{}
			if name == "b.fifo" {
				attrs["FifoQueue"] = "true"
			}
			if _, err := cat.Create(ctx, queues.Ref{Account: acct, Region: "r", Name: name}, attrs, nil); err != nil {
				t.Fatal(err)
			}
		}
		storage := fixedStorage{"a": {HotBytes: 100, ColdBytes: 7}, "b.fifo": {HotBytes: 1}}
		m1 := meter.New(meter.Options{Store: s, Clock: clk.Now})
		m2 := meter.New(meter.Options{Store: s, Clock: clk.Now})
		s1 := meter.NewSampler(meter.SamplerOptions{Store: s, Meter: m1, Storage: storage, Clock: clk.Now})
		s2 := meter.NewSampler(meter.SamplerOptions{Store: s, Meter: m2, Storage: storage, Clock: clk.Now})
		sampled := 0
		for i := range 90 * 6 { // every 10 s
			for _, smp := range []*meter.Sampler{s2, s1} {
				ok, err := smp.SampleOnce(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if ok {
					sampled++
				}
			}
			if i == 300 { // the first holder dies: the other takes over after the lease
				s2 = meter.NewSampler(meter.SamplerOptions{Store: s, Meter: m2, Storage: storage, Clock: func() time.Time { return time.Time{} }})
			}
			clk.Advance(10 * time.Second)
		}
		for _, m := range []*meter.Meter{m1, m2} {
			if err := m.Close(ctx); err != nil {
				t.Fatal(err)
			}
		}
		// Minutes 0..89 (a lease of 3 min lost across the handover).
		var qs []usage.Quantity
		err := s.View(ctx, func(r kv.Reader) error {
			var err error
			qs, err = usage.Quantities(ctx, r, acct, clk.Now().Add(-3*time.Hour), clk.Now().Add(time.Hour), true)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		got := map[usage.Quantity]int64{}
		for _, q := range qs {
			a := q.Amount
			q.Amount = 0
			got[q] = a
		}
		minutes := int64(sampled)
		if minutes > 90 || minutes < 86 {
			t.Fatalf("sampled %d queue-minutes", sampled)
		}
		t.Logf("%d minutes of 90 sampled", minutes)
		want := map[usage.Quantity]int64{
			{Meter: usage.StorageByteHours, Queue: "a", Region: "r", Tier: usage.Hot}:      100 * minutes / 60,
			{Meter: usage.StorageByteHours, Queue: "a", Region: "r", Tier: usage.Cold}:     7 * minutes / 60,
			{Meter: usage.StorageByteHours, Queue: "b.fifo", Region: "r", Tier: usage.Hot}: minutes / 60,
			{Meter: usage.QueueHours, Queue: "a", Region: "r"}:                             minutes / 60,
			{Meter: usage.QueueHours, Queue: "b.fifo", Region: "r"}:                        minutes / 60,
		}
		equal(t, got, want)
	})
}
