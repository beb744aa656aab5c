package invoices_test

import (
	"context"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/billing/invoices"
	"github.com/sluice-mq/sluice/billing/plans"
	"github.com/sluice-mq/sluice/billing/usage"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
	"github.com/sluice-mq/sluice/sdk/api"
	"github.com/sluice-mq/sluice/tenants"
)

// fakeUsage is a usage source: quantities recorded at instants.
type fakeUsage struct {
	mu   sync.Mutex
	recs []rec
}

type rec struct {
	account string
	at      time.Time
	q       usage.Quantity
}

func (f *fakeUsage) add(account string, at time.Time, q usage.Quantity) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.recs = append(f.recs, rec{account, at, q})
}

func (f *fakeUsage) Quantities(_ context.Context, account string, from, to time.Time, byQueue bool) ([]usage.Quantity, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	sums := map[usage.Quantity]int64{}
	for _, r := range f.recs {
		if r.account != account || r.at.Before(from) || !r.at.Before(to) {
			continue
		}
		k := r.q
		k.Amount = 0
		if !byQueue {
			k.Queue = ""
		}
		sums[k] += r.q.Amount
	}
	var out []usage.Quantity
	for k, v := range sums {
		k.Amount = v
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Queue+string(out[i].Meter)+out[i].QueueType < out[j].Queue+string(out[j].Meter)+out[j].QueueType
	})
	return out, nil
}

type fakeTenants map[string]tenants.Tenant

func (f fakeTenants) GetTenant(_ context.Context, account string) (tenants.Tenant, error) {
	t, ok := f[account]
	if !ok {
		return tenants.Tenant{}, tenants.ErrTenantNotFound
	}
	return t, nil
}

func (f fakeTenants) ListTenants(_ context.Context, limit int, after string) ([]tenants.Tenant, string, error) {
	var ids []string
	for id := range f {
		if id > after {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	if limit <= 0 {
		limit = 2 // small pages, to page
	}
	next := ""
	if len(ids) > limit {
		ids, next = ids[:limit], ids[limit-1]
	}
	var out []tenants.Tenant
	for _, id := range ids {
		out = append(out, f[id])
	}
	return out, next, nil
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }
func date(y int, m time.Month, d, h int) time.Time {
	return time.Date(y, m, d, h, 0, 0, 0, time.UTC)
}

const acctA, acctB = "111122223333", "444455556666"

func std(n int64) usage.Quantity {
	return usage.Quantity{Meter: usage.Requests, Queue: "orders", QueueType: usage.Standard, Class: usage.Send, Amount: n}
}

func line(t *testing.T, inv api.Invoice, meter, kind, correctionOf string) api.InvoiceLine {
	t.Helper()
	for _, l := range inv.Lines {
		if l.Meter == meter && (l.QueueType == kind || l.Tier == kind) && l.CorrectionOf == correctionOf {
			return l
		}
	}
	t.Fatalf("%s has no %s %s line (correction of %q): %+v", inv.ID, meter, kind, correctionOf, inv.Lines)
	return api.InvoiceLine{}
}

func TestRateHandComputed(t *testing.T) {
	p := plans.Default("standard")
	p.QueuePerMonth = 1_000_000
	tot := invoices.Totals{
		StandardUnits: 400_000, FIFOUnits: 1_000_001, // free tier straddled into FIFO
		HotByteHours: plans.GB * 744 / 2, ColdByteHours: 3 * plans.GB * 744,
		EgressBytes: 10 * plans.GB, QueueHours: 744 * 2,
		ThrottledRequests: 7, UnauthenticatedRequests: 3,
	}
	lines, err := invoices.Rate(p, tot, invoices.HoursIn(date(2025, 1, 1, 0)))
	if err != nil {
		t.Fatal(err)
	}
	inv := api.Invoice{ID: "x", Lines: lines}
	want := []struct {
		meter, kind   string
		free, amount  int64
		informational bool
	}{
		{"requests", "standard", 400_000, 0, false},
		{"requests", "fifo", 600_000, 200_001, false}, // 400001 × 0.5 = 200000.5 → up
		{"storage_byte_hours", "hot", 0, 50_000, false},
		{"storage_byte_hours", "cold", 0, 69_000, false},
		{"egress_bytes", "", 0, 900_000, false},
		{"queue_hours", "", 0, 2_000_000, false},
		{"throttled_requests", "", 0, 0, true},
		{"unauthenticated_requests", "", 0, 0, true},
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d: %+v", len(lines), len(want), lines)
	}
	for _, w := range want {
		l := line(t, inv, w.meter, w.kind, "")
		if l.FreeUnits != w.free || l.AmountMicros != w.amount || l.Informational != w.informational {
			t.Errorf("%s %s: free %d amount %d info %v; want %d %d %v", w.meter, w.kind, l.FreeUnits, l.AmountMicros, l.Informational, w.free, w.amount, w.informational)
		}
	}
	// The free units go to standard first: 1.5M standard, 2M FIFO.
	lines, _ = invoices.Rate(plans.Default("free"), invoices.Totals{StandardUnits: 1_500_000, FIFOUnits: 2_000_000}, 720)
	inv.Lines = lines
	if l := line(t, inv, "requests", "standard", ""); l.FreeUnits != 1_000_000 || l.AmountMicros != 200_000 {
		t.Errorf("standard: %+v", l)
	}
	if l := line(t, inv, "requests", "fifo", ""); l.FreeUnits != 0 || l.AmountMicros != 1_000_000 {
		t.Errorf("fifo: %+v", l)
	}
	// Without a queue price there is no queue line; the same hot bytes
	// for all of April cost what they cost for all of January.
	lines, _ = invoices.Rate(plans.Default("free"), invoices.Totals{HotByteHours: plans.GB * 720, QueueHours: 5}, 720)
	inv.Lines = lines
	if l := line(t, inv, "storage_byte_hours", "hot", ""); l.AmountMicros != 100_000 {
		t.Errorf("1 GB all April: %+v", l)
	}
	for _, l := range lines {
		if l.Meter == "queue_hours" {
			t.Errorf("unpriced queue line: %+v", l)
		}
	}
}

func newBiller(store kv.Store, src invoices.UsageSource, ts invoices.Tenants, c *clock, holder string) *invoices.Biller {
	return invoices.New(store, plans.NewStore(store, c.Now), src, ts, invoices.Options{Clock: c.Now, Holder: holder, LeaseTTL: time.Minute})
}

func TestInvoiceLifecycle(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		ctx := context.Background()
		c := &clock{now: date(2025, 1, 20, 12)}
		src := &fakeUsage{}
		ts := fakeTenants{acctA: {AccountID: acctA, Plan: tenants.PlanStandard, CreatedAt: date(2025, 1, 5, 0)}}
		b := newBiller(store, src, ts, c, "n1")
		jan := date(2025, 1, 1, 0)
		janID := invoices.ID(acctA, jan)

		src.add(acctA, date(2025, 1, 10, 3), std(1_500_000))
		src.add(acctA, date(2025, 1, 10, 3), usage.Quantity{Meter: usage.ThrottledRequests, Queue: "orders", QueueType: usage.Standard, Amount: 9})
		inv, err := b.Draft(ctx, acctA, jan)
		if err != nil || inv.Status != api.InvoiceDraft || inv.ID != janID || inv.Number != "SLU-111122223333-202501" || inv.TotalMicros != 200_000 {
			t.Fatalf("January during January = %+v, %v", inv, err)
		}
		if l := line(t, inv, "throttled_requests", "", ""); l.AmountMicros != 0 || !l.Informational {
			t.Fatalf("throttled line %+v", l)
		}
		if len(inv.Queues) != 2 || inv.Queues[0].Queue != "orders" {
			t.Fatalf("per-queue breakdown %+v", inv.Queues)
		}
		if n, err := b.Finalize(ctx, c.Now()); n != 0 || err != nil {
			t.Fatalf("finalize during the month: %d, %v", n, err)
		}

		// In the late window: still a draft, late usage still counts.
		c.Set(date(2025, 2, 2, 23))
		src.add(acctA, date(2025, 1, 31, 23), std(500_000))
		if n, _ := b.Finalize(ctx, c.Now()); n != 0 {
			t.Fatalf("finalized %d inside the late window", n)
		}
		if inv, _ = b.Get(ctx, acctA, janID); inv.Status != api.InvoiceDraft || inv.TotalMicros != 400_000 {
			t.Fatalf("January in the late window = %+v", inv)
		}

		// 48 h after the month: finalized, once.
		c.Set(date(2025, 2, 3, 0))
		if n, err := b.Finalize(ctx, c.Now()); n != 1 || err != nil {
			t.Fatalf("finalize after the late window: %d, %v", n, err)
		}
		if n, _ := b.Finalize(ctx, c.Now()); n != 0 {
			t.Fatalf("finalized again: %d", n)
		}
		final, err := b.Get(ctx, acctA, janID)
		if err != nil || final.Status != api.InvoiceFinalized || final.FinalizedAt == nil || final.TotalMicros != 400_000 || final.PlanVersion != 0 {
			t.Fatalf("finalized January = %+v, %v", final, err)
		}

		// A new plan version and late usage change nothing in January...
		p := plans.Default("standard")
		p.StandardPerMillion = 1_000_000
		if _, err := b.Plans().Put(ctx, p); err != nil {
			t.Fatal(err)
		}
		src.add(acctA, date(2025, 1, 31, 23), std(1_000_000))
		src.add(acctA, date(2025, 2, 10, 0), std(2_000_000))
		if again, _ := b.Get(ctx, acctA, janID); again.TotalMicros != 400_000 || again.PlanVersion != 0 || again.Status != api.InvoiceFinalized {
			t.Fatalf("January changed: %+v", again)
		}
		// ...they go on February's: an adjustment at January's prices
		// (version 0: $0.40), February's own usage at version 1's ($1.00,
		// its free tier untouched by January's late usage).
		feb, err := b.Draft(ctx, acctA, date(2025, 2, 14, 0))
		if err != nil || feb.PlanVersion != 1 || feb.Status != api.InvoiceDraft {
			t.Fatalf("February = %+v, %v", feb, err)
		}
		adj := line(t, feb, "requests", "standard", janID)
		if adj.Quantity != 1_000_000 || adj.AmountMicros != 400_000 || adj.FreeUnits != 0 {
			t.Fatalf("adjustment %+v", adj)
		}
		if own := line(t, feb, "requests", "standard", ""); own.AmountMicros != 1_000_000 || own.FreeUnits != 1_000_000 {
			t.Fatalf("February's own requests %+v", own)
		}
		if feb.TotalMicros != 1_400_000 {
			t.Fatalf("February total %d", feb.TotalMicros)
		}

		c.Set(date(2025, 3, 5, 0))
		if n, _ := b.Finalize(ctx, c.Now()); n != 1 {
			t.Fatalf("February not finalized: %d", n)
		}
		list, err := b.List(ctx, acctA)
		if err != nil || len(list) != 3 {
			t.Fatalf("list = %+v, %v", list, err)
		}
		if list[0].ID != janID || list[1].Status != api.InvoiceFinalized || list[1].TotalMicros != 1_400_000 || list[2].Status != api.InvoiceDraft || list[2].PeriodStart != date(2025, 3, 1, 0) {
			t.Fatalf("list = %+v", list)
		}
		// March: no late usage of February, so no adjustment.
		for _, l := range list[2].Lines {
			if l.CorrectionOf != "" {
				t.Fatalf("March adjusts %+v", l)
			}
		}
		if _, err := b.Get(ctx, acctA, invoices.ID(acctA, date(2025, 4, 1, 0))); !errors.Is(err, invoices.ErrNotFound) {
			t.Fatalf("April's invoice in March: %v", err)
		}
		if _, err := b.Get(ctx, acctA, invoices.ID(acctB, jan)); !errors.Is(err, invoices.ErrNotFound) {
			t.Fatalf("another account's id: %v", err)
		}
		if _, err := b.List(ctx, acctB); !errors.Is(err, tenants.ErrTenantNotFound) {
			t.Fatalf("unknown tenant: %v", err)
		}
	})
}

// Two finalizers running at once store each invoice once, and the lease
// is held by one of them at a time.
func TestConcurrentFinalizers(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		ctx := context.Background()
		c := &clock{now: date(2025, 4, 10, 0)}
		src := &fakeUsage{}
		ts := fakeTenants{}
		for _, id := range []string{"100000000001", "100000000002", "100000000003", "100000000004", "100000000005"} {
			ts[id] = tenants.Tenant{AccountID: id, Plan: tenants.PlanFree, CreatedAt: date(2025, 1, 15, 0)}
			src.add(id, date(2025, 2, 1, 0), std(3_000_000))
		}
		b1, b2 := newBiller(store, src, ts, c, "n1"), newBiller(store, src, ts, c, "n2")
		var wg sync.WaitGroup
		counts := make([]int, 2)
		for i, b := range []*invoices.Biller{b1, b2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := b.Finalize(ctx, c.Now())
				if err != nil {
					t.Error(err)
				}
				counts[i] = n
			}()
		}
		wg.Wait()
		if counts[0]+counts[1] != 5*3 { // January to March, five tenants
			t.Fatalf("finalized %v, want 15 in all", counts)
		}
		for id := range ts {
			list, err := b1.List(ctx, id)
			if err != nil || len(list) != 4 || list[1].TotalMicros != 800_000 || list[3].Status != api.InvoiceDraft {
				t.Fatalf("%s: %+v, %v", id, list, err)
			}
		}

		if held, _ := b1.Acquire(ctx, c.Now()); !held {
			t.Fatal("n1 did not get a free lease")
		}
		if held, _, _ := b2.Tick(ctx); held {
			t.Fatal("n2 took n1's lease")
		}
		if held, _ := b1.Acquire(ctx, c.Now().Add(30*time.Second)); !held {
			t.Fatal("n1 could not renew")
		}
		c.Set(c.Now().Add(30*time.Second + time.Minute))
		if held, n, err := b2.Tick(ctx); !held || n != 0 || err != nil {
			t.Fatalf("n2 after n1's lease expired: %v %d %v", held, n, err)
		}
		if held, _ := b1.Acquire(ctx, c.Now()); held {
			t.Fatal("n1 took n2's lease back")
		}
	})
}
