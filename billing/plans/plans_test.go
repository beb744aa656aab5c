package plans_test

import (
	"context"
	"errors"
	"math"
	"math/big"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/billing/plans"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

func TestAmountRounding(t *testing.T) {
	million := big.NewInt(1_000_000)
	for _, c := range []struct{ q, price, want int64 }{
		{4, 100_000, 0},  // 0.4 micro
		{5, 100_000, 1},  // 0.5: half up
		{6, 100_000, 1},  // 0.6
		{15, 100_000, 2}, // 1.5
		{-5, 100_000, -1},
		{-4, 100_000, 0},
		{0, 400_000, 0},
		{1_000_000, 400_000, 400_000},
	} {
		got, err := plans.Amount(c.q, c.price, million)
		if err != nil || got != c.want {
			t.Errorf("Amount(%d, %d, 1e6) = %d, %v; want %d", c.q, c.price, got, err, c.want)
		}
	}
}

func TestRequestsEgressStorageAmounts(t *testing.T) {
	check := func(name string, got int64, err error, want int64) {
		t.Helper()
		if err != nil || got != want {
			t.Errorf("%s = %d, %v; want %d", name, got, err, want)
		}
	}
	got, err := plans.RequestsAmount(500_000, 400_000)
	check("500k standard units", got, err, 200_000)
	got, err = plans.RequestsAmount(400_001, 500_000) // 200000.5
	check("400001 FIFO units", got, err, 200_001)
	got, err = plans.EgressAmount(10*plans.GB, 90_000)
	check("10 GB out", got, err, 900_000)
	got, err = plans.EgressAmount(3*plans.GB/2, 90_000)
	check("1.5 GB out", got, err, 135_000)
	got, err = plans.EgressAmount(1, 90_000)
	check("1 byte out", got, err, 0)
	// One GB for a whole month costs the GB-month price in April (720 h)
	// and in January (744 h); half a GB for all of January half of it.
	got, err = plans.StorageAmount(plans.GB*720, 100_000, 720)
	check("1 GB all April", got, err, 100_000)
	got, err = plans.StorageAmount(plans.GB*744, 100_000, 744)
	check("1 GB all January", got, err, 100_000)
	got, err = plans.StorageAmount(plans.GB/2*744, 100_000, 744)
	check("0.5 GB all January", got, err, 50_000)
	// 3 GB for 10 days of a 30-day month: one GB-month.
	got, err = plans.StorageAmount(3*plans.GB*240, 23_000, 720)
	check("3 GB for 10 days", got, err, 23_000)
	// 1 GB for 1 hour of January: 100000/744 = 134.4 → 134.
	got, err = plans.StorageAmount(plans.GB, 100_000, 744)
	check("1 GB-hour in January", got, err, 134)
	got, err = plans.QueueAmount(744*3, 1_000_000, 744)
	check("3 queue-months", got, err, 3_000_000)
}

func TestNoOverflowAtLargeQuantities(t *testing.T) {
	// 10 TiB stored for all of a 31-day month: 8.2e15 byte-hours, whose
	// product with the price (8.2e20) does not fit an int64.
	tib10 := int64(10) << 40
	got, err := plans.StorageAmount(tib10*744, 100_000, 744)
	if err != nil || got != 10*1024*100_000 {
		t.Fatalf("10 TiB for January = %d, %v; want %d", got, err, 10*1024*100_000)
	}
	got, err = plans.EgressAmount(tib10*100, 90_000) // 1000 TiB out
	if err != nil || got != 1000*1024*90_000 {
		t.Fatalf("1000 TiB out = %d, %v", got, err)
	}
	got, err = plans.RequestsAmount(1<<62, 400_000) // 2^62 × 0.4 = …161.6
	if err != nil || got != 1844674407370955162 {
		t.Fatalf("2^62 units = %d, %v", got, err)
	}
	if _, err := plans.RequestsAmount(math.MaxInt64, math.MaxInt64); !errors.Is(err, plans.ErrOverflow) {
		t.Fatalf("an amount beyond int64: %v, want ErrOverflow", err)
	}
}

func TestPlanVersions(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		ctx := context.Background()
		s := plans.NewStore(store, func() time.Time { return time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC) })
		p, err := s.Current(ctx, "standard")
		if err != nil || p != plans.Default("standard") || p.Version != 0 || p.StandardPerMillion != 400_000 || p.FreeRequestUnits != 1_000_000 {
			t.Fatalf("built-in standard = %+v, %v", p, err)
		}
		if _, err := s.Current(ctx, "gold"); !errors.Is(err, plans.ErrUnknownPlan) {
			t.Fatalf("unknown plan: %v", err)
		}
		next := plans.Default("standard")
		next.StandardPerMillion = 300_000
		v1, err := s.Put(ctx, next)
		if err != nil || v1.Version != 1 || v1.CreatedAt.IsZero() {
			t.Fatalf("put = %+v, %v", v1, err)
		}
		next.StandardPerMillion = 250_000
		v2, err := s.Put(ctx, next)
		if err != nil || v2.Version != 2 {
			t.Fatalf("put again = %+v, %v", v2, err)
		}
		if cur, _ := s.Current(ctx, "standard"); cur.Version != 2 || cur.StandardPerMillion != 250_000 {
			t.Fatalf("current = %+v", cur)
		}
		if old, err := s.Version(ctx, "standard", 1); err != nil || old.StandardPerMillion != 300_000 {
			t.Fatalf("version 1 = %+v, %v", old, err)
		}
		if v0, err := s.Version(ctx, "standard", 0); err != nil || v0 != plans.Default("standard") {
			t.Fatalf("version 0 = %+v, %v", v0, err)
		}
		if _, err := s.Version(ctx, "standard", 3); !errors.Is(err, plans.ErrUnknownPlan) {
			t.Fatalf("version 3: %v", err)
		}
		if free, _ := s.Current(ctx, "free"); free.Version != 0 {
			t.Fatalf("other plans untouched: %+v", free)
		}
		list, err := s.List(ctx)
		if err != nil || len(list) != 3 || list[1].Name != "standard" || list[1].Version != 2 {
			t.Fatalf("list = %+v, %v", list, err)
		}
		bad := next
		bad.EgressPerGB = -1
		var invalid *plans.InvalidError
		if _, err := s.Put(ctx, bad); !errors.As(err, &invalid) || invalid.Field != "egressPerGBMicros" {
			t.Fatalf("negative price: %v", err)
		}
		bad = next
		bad.Currency = "usd"
		if _, err := s.Put(ctx, bad); !errors.As(err, &invalid) || invalid.Field != "currency" {
			t.Fatalf("bad currency: %v", err)
		}
	})
}
