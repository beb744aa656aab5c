package invoices

import (
	"time"

	"github.com/sluice-mq/sluice/billing/plans"
	"github.com/sluice-mq/sluice/billing/usage"
	"github.com/sluice-mq/sluice/sdk/api"
)

// Totals are a tenant's quantities over one month, summed over queues and
// actions: what rating reads.
type Totals struct {
	StandardUnits int64 `json:"standardUnits"`
	FIFOUnits     int64 `json:"fifoUnits"`
	HotByteHours  int64 `json:"hotByteHours"`
	ColdByteHours int64 `json:"coldByteHours"`
	EgressBytes   int64 `json:"egressBytes"`
	QueueHours    int64 `json:"queueHours"`
	// Never billed; informational lines.
	IngressBytes            int64 `json:"ingressBytes"`
	ThrottledRequests       int64 `json:"throttledRequests"`
	UnauthenticatedRequests int64 `json:"unauthenticatedRequests"`
}

// Sum adds quantities up by what rating tells apart: requests by queue
// type (anything not FIFO is standard), storage by tier (anything not
// cold is hot). Meters rating does not know are ignored.
func Sum(qs []usage.Quantity) Totals {
	var t Totals
	for _, q := range qs {
		switch q.Meter {
		case usage.Requests:
			if q.QueueType == usage.FIFO {
				t.FIFOUnits += q.Amount
			} else {
				t.StandardUnits += q.Amount
			}
		case usage.StorageByteHours:
			if q.Tier == usage.Cold {
				t.ColdByteHours += q.Amount
			} else {
				t.HotByteHours += q.Amount
			}
		case usage.EgressBytes:
			t.EgressBytes += q.Amount
		case usage.QueueHours:
			t.QueueHours += q.Amount
		case usage.IngressBytes:
			t.IngressBytes += q.Amount
		case usage.ThrottledRequests:
			t.ThrottledRequests += q.Amount
		case usage.UnauthenticatedRequests:
			t.UnauthenticatedRequests += q.Amount
		}
	}
	return t
}

// HoursIn is the number of hours of the UTC month that starts at month:
// 672 to 744.
func HoursIn(month time.Time) int64 {
	return int64(month.AddDate(0, 1, 0).Sub(month) / time.Hour)
}

// Rate prices a month's totals with plan p, one line per meter. The rules:
//
//   - Each line's amount is rounded once, to the nearest micro, halves up
//     (plans.Amount); the total is the sum of the rounded lines.
//   - The free request units are shared: they go to standard request
//     units first, and what is left of them to FIFO units.
//   - Storage: a GB-month is 2^30 bytes stored for every hour of the
//     month, so byte-hours cost byteHours × price / (2^30 × hours in the
//     month): the same bytes cost the same for a full 30- or 31-day month.
//   - Egress: bytes × price / 2^30. Queues: queue-hours × price / hours
//     in the month; the line is there only when queues are priced.
//   - Ingress bytes, throttled and unauthenticated requests are never
//     billed: informational lines, priced 0, present when not zero.
func Rate(p plans.Plan, t Totals, hours int64) ([]api.InvoiceLine, error) {
	stdFree := min(max(t.StandardUnits, 0), p.FreeRequestUnits)
	fifoFree := min(max(t.FIFOUnits, 0), p.FreeRequestUnits-stdFree)
	var lines []api.InvoiceLine
	var err error
	add := func(l api.InvoiceLine, amount func() (int64, error)) {
		if err != nil {
			return
		}
		l.AmountMicros, err = amount()
		lines = append(lines, l)
	}
	add(api.InvoiceLine{Meter: string(usage.Requests), QueueType: usage.Standard, Description: "Standard queue requests",
		Quantity: t.StandardUnits, Unit: "request units", FreeUnits: stdFree, UnitPriceMicros: p.StandardPerMillion, PriceUnit: "1M request units"},
		func() (int64, error) { return plans.RequestsAmount(t.StandardUnits-stdFree, p.StandardPerMillion) })
	add(api.InvoiceLine{Meter: string(usage.Requests), QueueType: usage.FIFO, Description: "FIFO queue requests",
		Quantity: t.FIFOUnits, Unit: "request units", FreeUnits: fifoFree, UnitPriceMicros: p.FIFOPerMillion, PriceUnit: "1M request units"},
		func() (int64, error) { return plans.RequestsAmount(t.FIFOUnits-fifoFree, p.FIFOPerMillion) })
	add(api.InvoiceLine{Meter: string(usage.StorageByteHours), Tier: usage.Hot, Description: "Hot storage",
		Quantity: t.HotByteHours, Unit: "byte-hours", UnitPriceMicros: p.HotStoragePerGBMonth, PriceUnit: "GB-month"},
		func() (int64, error) { return plans.StorageAmount(t.HotByteHours, p.HotStoragePerGBMonth, hours) })
	add(api.InvoiceLine{Meter: string(usage.StorageByteHours), Tier: usage.Cold, Description: "Cold storage",
		Quantity: t.ColdByteHours, Unit: "byte-hours", UnitPriceMicros: p.ColdStoragePerGBMonth, PriceUnit: "GB-month"},
		func() (int64, error) { return plans.StorageAmount(t.ColdByteHours, p.ColdStoragePerGBMonth, hours) })
	add(api.InvoiceLine{Meter: string(usage.EgressBytes), Description: "Data out",
		Quantity: t.EgressBytes, Unit: "bytes", UnitPriceMicros: p.EgressPerGB, PriceUnit: "GB"},
		func() (int64, error) { return plans.EgressAmount(t.EgressBytes, p.EgressPerGB) })
	if p.QueuePerMonth > 0 {
		add(api.InvoiceLine{Meter: string(usage.QueueHours), Description: "Queues",
			Quantity: t.QueueHours, Unit: "queue-hours", UnitPriceMicros: p.QueuePerMonth, PriceUnit: "queue-month"},
			func() (int64, error) { return plans.QueueAmount(t.QueueHours, p.QueuePerMonth, hours) })
	}
	zero := func() (int64, error) { return 0, nil }
	for _, info := range []struct {
		meter usage.Meter
		desc  string
		qty   int64
		unit  string
	}{
		{usage.IngressBytes, "Data in (free)", t.IngressBytes, "bytes"},
		{usage.ThrottledRequests, "Throttled requests (not billed)", t.ThrottledRequests, "requests"},
		{usage.UnauthenticatedRequests, "Unauthenticated requests (not billed)", t.UnauthenticatedRequests, "requests"},
	} {
		if info.qty != 0 {
			add(api.InvoiceLine{Meter: string(info.meter), Description: info.desc, Quantity: info.qty, Unit: info.unit, Informational: true}, zero)
		}
	}
	if err != nil {
		return nil, err
	}
	return lines, nil
}

func lineKey(l api.InvoiceLine) string { return l.Meter + "|" + l.QueueType + "|" + l.Tier }

// adjustments are the differences between the billable lines a finalized
// invoice billed and the same month rated again on its usage as read now,
// each naming the invoice as the one it corrects. The invoice's own
// adjustment lines are not compared: they corrected the month before.
func adjustments(billed, now []api.InvoiceLine, of, month string) []api.InvoiceLine {
	old := map[string]api.InvoiceLine{}
	for _, l := range billed {
		if l.CorrectionOf == "" && !l.Informational {
			old[lineKey(l)] = l
		}
	}
	var out []api.InvoiceLine
	for _, l := range now {
		if l.Informational {
			continue
		}
		o := old[lineKey(l)]
		dq, df, da := l.Quantity-o.Quantity, l.FreeUnits-o.FreeUnits, l.AmountMicros-o.AmountMicros
		if dq == 0 && da == 0 {
			continue
		}
		l.Description = "Late usage of " + month + ": " + l.Description
		l.Quantity, l.FreeUnits, l.AmountMicros, l.CorrectionOf = dq, df, da, of
		out = append(out, l)
	}
	return out
}
