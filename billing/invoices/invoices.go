// Package invoices rates usage into invoices: one per tenant per calendar
// month (UTC), computed on read as a draft while the month is open and for
// LateWindow after it ends, then finalized, stored and immutable. Usage of
// a finalized month that arrives later is billed on the next month's
// invoice as adjustment lines that name the finalized invoice
// (CorrectionOf).
//
// Keyspace (kv, prefix B/):
//
//	B/inv/{account}/{YYYY-MM}  a finalized invoice (JSON record: the invoice,
//	                           the plan version it used, the totals it billed)
//	B/lease/finalizer          the finalizer's lease: holder and expiry
//	B/plan/{name}/{version}    price plans (package plans)
package invoices

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sluice-mq/sluice/billing/plans"
	"github.com/sluice-mq/sluice/billing/usage"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/sdk/api"
	"github.com/sluice-mq/sluice/tenants"
)

// LateWindow is how long after its month ends an invoice stays a draft:
// usage may arrive up to this late and still be billed in its month.
const LateWindow = 48 * time.Hour

// UsageSource reads usage: the quantities of an account between from
// (inclusive) and to (exclusive), by queue or summed over queues.
type UsageSource interface {
	Quantities(ctx context.Context, account string, from, to time.Time, byQueue bool) ([]usage.Quantity, error)
}

// Tenants are the tenants billed; *tenants.Catalog is one.
type Tenants interface {
	GetTenant(ctx context.Context, account string) (tenants.Tenant, error)
	ListTenants(ctx context.Context, limit int, after string) ([]tenants.Tenant, string, error)
}

// ErrNotFound: no such invoice (a malformed id, another account's, or a
// month that has not begun).
var ErrNotFound = errors.New("invoices: no such invoice")

// Options tune a Biller; every field may be zero.
type Options struct {
	Clock func() time.Time // time.Now
	// Holder names this node in the finalizer lease (default: random).
	Holder string
	// Interval between finalizer runs in Run (default 1 minute);
	// LeaseTTL is how long a lease holds unrenewed (default 3 intervals).
	Interval, LeaseTTL time.Duration
}

// Biller computes, finalizes and reads invoices.
type Biller struct {
	store   kv.Store
	plans   *plans.Store
	usage   UsageSource
	tenants Tenants
	opts    Options
}

// New returns a Biller over the store, rating with the plans and reading
// usage from src.
func New(store kv.Store, pl *plans.Store, src UsageSource, ts Tenants, opts Options) *Biller {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Holder == "" {
		opts.Holder = randomHolder()
	}
	if opts.Interval <= 0 {
		opts.Interval = time.Minute
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = 3 * opts.Interval
	}
	return &Biller{store: store, plans: pl, usage: src, tenants: ts, opts: opts}
}

// Plans returns the price plans the Biller rates with.
func (b *Biller) Plans() *plans.Store { return b.plans }

// MonthOf is the first instant (UTC) of t's month.
func MonthOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// ID is the invoice id of an account's month: inv_{account}_{YYYY-MM}.
func ID(account string, month time.Time) string {
	return "inv_" + account + "_" + month.Format("2006-01")
}

// Number is the invoice number: SLU-{account}-{YYYYMM}.
func Number(account string, month time.Time) string {
	return "SLU-" + account + "-" + month.Format("200601")
}

// ParseID splits an invoice id into its account and month.
func ParseID(id string) (account string, month time.Time, err error) {
	rest, ok := strings.CutPrefix(id, "inv_")
	account, ym, ok2 := strings.Cut(rest, "_")
	if !ok || !ok2 || account == "" {
		return "", time.Time{}, ErrNotFound
	}
	month, err = time.Parse("2006-01", ym)
	if err != nil || ID(account, month) != id {
		return "", time.Time{}, ErrNotFound
	}
	return account, month, nil
}

// record is a finalized invoice as stored.
type record struct {
	Invoice api.Invoice `json:"invoice"`
	Plan    plans.Plan  `json:"plan"`   // the version it was rated with
	Billed  Totals      `json:"billed"` // the totals it billed
}

var invPrefix = []byte("B/inv/")

func accountPrefix(account string) []byte {
	return append(append([]byte(nil), invPrefix...), account+"/"...)
}

func invoiceKey(account string, month time.Time) []byte {
	return append(accountPrefix(account), month.Format("2006-01")...)
}

func decodeRecord(raw []byte) (*record, error) {
	var r record
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("decode invoice: %w", err)
	}
	return &r, nil
}

// stored returns the finalized invoice of the month, or nil.
func (b *Biller) stored(ctx context.Context, account string, month time.Time) (*record, error) {
	var rec *record
	err := b.store.View(ctx, func(r kv.Reader) error {
		raw, err := r.Get(ctx, invoiceKey(account, month))
		if errors.Is(err, kv.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		rec, err = decodeRecord(raw)
		return err
	})
	return rec, err
}

// compute rates the month of account with plan p. When the month before
// is finalized, its usage is read again and whatever changed since, rated
// with that invoice's own plan version, becomes adjustment lines.
func (b *Biller) compute(ctx context.Context, account string, month time.Time, p plans.Plan) (*record, error) {
	end := month.AddDate(0, 1, 0)
	qs, err := b.usage.Quantities(ctx, account, month, end, false)
	if err != nil {
		return nil, fmt.Errorf("read usage of %s: %w", account, err)
	}
	totals := Sum(qs)
	lines, err := Rate(p, totals, HoursIn(month))
	if err != nil {
		return nil, err
	}
	prevMonth := month.AddDate(0, -1, 0)
	prev, err := b.stored(ctx, account, prevMonth)
	if err != nil {
		return nil, err
	}
	if prev != nil {
		qs, err := b.usage.Quantities(ctx, account, prevMonth, month, false)
		if err != nil {
			return nil, fmt.Errorf("read usage of %s: %w", account, err)
		}
		if now := Sum(qs); now != prev.Billed {
			again, err := Rate(prev.Plan, now, HoursIn(prevMonth))
			if err != nil {
				return nil, err
			}
			lines = append(lines, adjustments(prev.Invoice.Lines, again, prev.Invoice.ID, prevMonth.Format("2006-01"))...)
		}
	}
	byQueue, err := b.usage.Quantities(ctx, account, month, end, true)
	if err != nil {
		return nil, fmt.Errorf("read usage of %s by queue: %w", account, err)
	}
	inv := api.Invoice{
		ID: ID(account, month), Number: Number(account, month), AccountID: account,
		PeriodStart: month, PeriodEnd: end, Status: api.InvoiceDraft,
		Currency: p.Currency, Plan: p.Name, PlanVersion: p.Version,
		Lines: lines, Queues: make([]api.QueueUsage, 0, len(byQueue)),
	}
	for _, l := range lines {
		inv.SubtotalMicros += l.AmountMicros
	}
	inv.TotalMicros = inv.SubtotalMicros
	for _, q := range byQueue {
		inv.Queues = append(inv.Queues, api.QueueUsage{Queue: q.Queue, Meter: string(q.Meter),
			QueueType: q.QueueType, Class: q.Class, Tier: q.Tier, Quantity: q.Amount})
	}
	return &record{Invoice: inv, Plan: p, Billed: totals}, nil
}

// Draft returns the invoice of the account's month (any instant in it):
// the finalized one when stored, else computed now with the current
// version of the tenant's price plan, as a draft.
func (b *Biller) Draft(ctx context.Context, account string, month time.Time) (api.Invoice, error) {
	t, err := b.tenants.GetTenant(ctx, account)
	if err != nil {
		return api.Invoice{}, err
	}
	month = MonthOf(month)
	if month.After(MonthOf(b.opts.Clock())) {
		return api.Invoice{}, ErrNotFound
	}
	rec, err := b.stored(ctx, account, month)
	if err != nil || rec != nil {
		return invoiceOf(rec), err
	}
	p, err := b.plans.Current(ctx, string(t.Plan))
	if err != nil {
		return api.Invoice{}, err
	}
	rec, err = b.compute(ctx, account, month, p)
	return invoiceOf(rec), err
}

func invoiceOf(r *record) api.Invoice {
	if r == nil {
		return api.Invoice{}
	}
	return r.Invoice
}

// Get returns the invoice with this id of the account: stored, or a draft.
func (b *Biller) Get(ctx context.Context, account, id string) (api.Invoice, error) {
	acct, month, err := ParseID(id)
	if err != nil || acct != account {
		return api.Invoice{}, ErrNotFound
	}
	return b.Draft(ctx, account, month)
}

// List returns the account's invoices, oldest first: the finalized ones,
// then drafts of the current month and, until it is finalized, the month
// before (not before the tenant's creation month).
func (b *Biller) List(ctx context.Context, account string) ([]api.Invoice, error) {
	t, err := b.tenants.GetTenant(ctx, account)
	if err != nil {
		return nil, err
	}
	var out []api.Invoice
	have := map[string]bool{}
	err = b.store.View(ctx, func(r kv.Reader) error {
		out = out[:0]
		page, err := r.Scan(ctx, accountPrefix(account), kv.PrefixEnd(accountPrefix(account)), 0)
		if err != nil {
			return err
		}
		for _, kv := range page {
			rec, err := decodeRecord(kv.Value)
			if err != nil {
				return err
			}
			out = append(out, rec.Invoice)
			have[rec.Invoice.ID] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	now := MonthOf(b.opts.Clock())
	for m := now.AddDate(0, -1, 0); !m.After(now); m = m.AddDate(0, 1, 0) {
		if have[ID(account, m)] || (!t.CreatedAt.IsZero() && m.Before(MonthOf(t.CreatedAt))) {
			continue
		}
		inv, err := b.Draft(ctx, account, m)
		if err != nil {
			return nil, err
		}
		out = append(out, inv)
	}
	return out, nil
}

// Finalize finalizes, for every tenant, every month whose late window has
// ended at now and that is not finalized yet, in order, and returns how
// many invoices it stored. Each is stored in a transaction that stores it
// only if no other finalizer did first, so concurrent runs (on two nodes)
// finalize each invoice once; running it again changes nothing.
func (b *Biller) Finalize(ctx context.Context, now time.Time) (int, error) {
	n := 0
	after := ""
	for {
		page, next, err := b.tenants.ListTenants(ctx, 0, after)
		if err != nil {
			return n, err
		}
		for _, t := range page {
			k, err := b.finalizeTenant(ctx, t, now)
			n += k
			if err != nil {
				return n, fmt.Errorf("finalize invoices of %s: %w", t.AccountID, err)
			}
		}
		if next == "" {
			return n, nil
		}
		after = next
	}
}

func (b *Biller) finalizeTenant(ctx context.Context, t tenants.Tenant, now time.Time) (int, error) {
	var start time.Time
	err := b.store.View(ctx, func(r kv.Reader) error {
		last, err := r.ReverseScan(ctx, accountPrefix(t.AccountID), kv.PrefixEnd(accountPrefix(t.AccountID)), 1)
		if err != nil || len(last) == 0 {
			return err
		}
		m, err := time.Parse("2006-01", string(last[0].Key[len(accountPrefix(t.AccountID)):]))
		start = m.AddDate(0, 1, 0)
		return err
	})
	if err != nil {
		return 0, err
	}
	if start.IsZero() {
		start = MonthOf(t.CreatedAt)
		if t.CreatedAt.IsZero() {
			start = MonthOf(now).AddDate(0, -1, 0)
		}
	}
	n := 0
	for m := start; !now.Before(m.AddDate(0, 1, 0).Add(LateWindow)); m = m.AddDate(0, 1, 0) {
		stored, err := b.finalizeMonth(ctx, t, m, now)
		if err != nil {
			return n, err
		}
		if stored {
			n++
		}
	}
	return n, nil
}

func (b *Biller) finalizeMonth(ctx context.Context, t tenants.Tenant, month, now time.Time) (bool, error) {
	p, err := b.plans.Current(ctx, string(t.Plan))
	if err != nil {
		return false, err
	}
	rec, err := b.compute(ctx, t.AccountID, month, p)
	if err != nil {
		return false, err
	}
	at := now.UTC()
	rec.Invoice.Status, rec.Invoice.FinalizedAt = api.InvoiceFinalized, &at
	raw, err := json.Marshal(rec)
	if err != nil {
		return false, err
	}
	stored := false
	err = b.store.Update(ctx, func(tx kv.Txn) error {
		stored = false
		key := invoiceKey(t.AccountID, month)
		if _, err := tx.Get(ctx, key); err == nil {
			return nil // another finalizer was first
		} else if !errors.Is(err, kv.ErrNotFound) {
			return err
		}
		stored = true
		return tx.Set(key, raw)
	})
	return stored, err
}
