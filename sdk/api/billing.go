package api

import "time"

// PricePlan is one version of a price plan: what a tenant plan's usage
// costs. Money is in micros, integer millionths of the currency's unit
// (400000 micros is $0.40).
type PricePlan struct {
	Name string `json:"name"` // a tenant plan: free, standard or large
	// Version 0 is the built-in default; each PUT makes the next.
	Version  int    `json:"version"`
	Currency string `json:"currency"` // ISO 4217, e.g. USD
	// FreeRequestUnits per month, shared by standard and FIFO requests:
	// they go to standard requests first, then FIFO.
	FreeRequestUnits            int64 `json:"freeRequestUnits"`
	StandardPerMillionMicros    int64 `json:"standardPerMillionMicros"`
	FIFOPerMillionMicros        int64 `json:"fifoPerMillionMicros"`
	HotStoragePerGBMonthMicros  int64 `json:"hotStoragePerGBMonthMicros"`
	ColdStoragePerGBMonthMicros int64 `json:"coldStoragePerGBMonthMicros"`
	EgressPerGBMicros           int64 `json:"egressPerGBMicros"`
	QueuePerMonthMicros         int64 `json:"queuePerMonthMicros"`
	// CreatedAt is when the version was stored; absent for version 0.
	CreatedAt *time.Time `json:"createdAt,omitempty"`
}

// PricePlanList is the reply of GET /v1/plans: the current version of
// every plan.
type PricePlanList struct {
	Plans []PricePlan `json:"plans"`
}

// PutPricePlanRequest is the body of PUT /v1/plans/{name}: the prices of
// the next version. An absent field keeps the current version's value.
type PutPricePlanRequest struct {
	Currency                    *string `json:"currency,omitempty"`
	FreeRequestUnits            *int64  `json:"freeRequestUnits,omitempty"`
	StandardPerMillionMicros    *int64  `json:"standardPerMillionMicros,omitempty"`
	FIFOPerMillionMicros        *int64  `json:"fifoPerMillionMicros,omitempty"`
	HotStoragePerGBMonthMicros  *int64  `json:"hotStoragePerGBMonthMicros,omitempty"`
	ColdStoragePerGBMonthMicros *int64  `json:"coldStoragePerGBMonthMicros,omitempty"`
	EgressPerGBMicros           *int64  `json:"egressPerGBMicros,omitempty"`
	QueuePerMonthMicros         *int64  `json:"queuePerMonthMicros,omitempty"`
}

// InvoiceStatus is where an invoice is in its life.
type InvoiceStatus string

// Invoice statuses.
const (
	// InvoiceDraft: the month is open, or ended less than 48 hours ago;
	// the invoice is computed on each read and may still change.
	InvoiceDraft InvoiceStatus = "draft"
	// InvoiceFinalized: stored and immutable.
	InvoiceFinalized InvoiceStatus = "finalized"
)

// Invoice is a tenant's bill for one calendar month (UTC).
type Invoice struct {
	ID          string        `json:"id"`     // inv_{account}_{YYYY-MM}
	Number      string        `json:"number"` // SLU-{account}-{YYYYMM}
	AccountID   string        `json:"accountId"`
	PeriodStart time.Time     `json:"periodStart"` // the month's first instant
	PeriodEnd   time.Time     `json:"periodEnd"`   // the next month's first instant
	Status      InvoiceStatus `json:"status"`
	// FinalizedAt is set once the invoice is finalized.
	FinalizedAt *time.Time    `json:"finalizedAt,omitempty"`
	Currency    string        `json:"currency"`
	Plan        string        `json:"plan"`
	PlanVersion int           `json:"planVersion"`
	Lines       []InvoiceLine `json:"lines"`
	// SubtotalMicros is the sum of the lines' amounts, adjustments
	// included; TotalMicros equals it (no taxes or credits yet).
	SubtotalMicros int64 `json:"subtotalMicros"`
	TotalMicros    int64 `json:"totalMicros"`
	// Queues is the usage by queue (quantities only; prices are per
	// tenant, so the free tier is not split among queues).
	Queues []QueueUsage `json:"queues"`
}

// InvoiceLine is one meter's charge.
type InvoiceLine struct {
	// Meter: requests, storage_byte_hours, egress_bytes, queue_hours;
	// informational (never billed): throttled_requests,
	// unauthenticated_requests, ingress_bytes.
	Meter       string `json:"meter"`
	QueueType   string `json:"queueType,omitempty"` // requests: standard or fifo
	Tier        string `json:"tier,omitempty"`      // storage: hot or cold
	Description string `json:"description"`
	// Quantity is in Unit: request units, byte-hours, bytes or
	// queue-hours; on an adjustment, the late usage's.
	Quantity int64  `json:"quantity"`
	Unit     string `json:"unit"`
	// FreeUnits of the quantity were free (requests only).
	FreeUnits int64 `json:"freeUnits"`
	// UnitPriceMicros is the price of one PriceUnit (e.g. "1M request
	// units", "GB-month", "GB").
	UnitPriceMicros int64  `json:"unitPriceMicros"`
	PriceUnit       string `json:"priceUnit"`
	AmountMicros    int64  `json:"amountMicros"`
	// Informational lines are counted, never billed (amount 0).
	Informational bool `json:"informational,omitempty"`
	// CorrectionOf names the finalized invoice an adjustment line
	// corrects: usage of that month that arrived after it was finalized.
	CorrectionOf string `json:"correctionOf,omitempty"`
}

// QueueUsage is one queue's quantity of one meter over an invoice's month.
type QueueUsage struct {
	Queue     string `json:"queue"`
	Meter     string `json:"meter"`
	QueueType string `json:"queueType,omitempty"`
	Class     string `json:"class,omitempty"`
	Tier      string `json:"tier,omitempty"`
	Quantity  int64  `json:"quantity"`
}

// InvoiceList is the reply of GET /v1/tenants/{account}/invoices: the
// tenant's invoices, oldest first, drafts included.
type InvoiceList struct {
	Invoices []Invoice `json:"invoices"`
}
