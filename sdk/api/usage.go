package api

import "time"

// Usage is the reply of GET /v1/tenants/{account}/usage: a tenant's
// metered usage over [From, To), in buckets of Granularity ("hour" or
// "day", UTC). Buckets without usage are left out.
type Usage struct {
	AccountID   string        `json:"accountId"`
	From        time.Time     `json:"from"`
	To          time.Time     `json:"to"`
	Granularity string        `json:"granularity"`
	Buckets     []UsageBucket `json:"buckets"`
}

// UsageBucket is usage over [Start, End).
type UsageBucket struct {
	Start      time.Time       `json:"start"`
	End        time.Time       `json:"end"`
	Quantities []UsageQuantity `json:"quantities"`
}

// UsageQuantity is an amount of one meter (requests, throttled_requests,
// unauthenticated_requests, ingress_bytes, egress_bytes,
// storage_byte_hours, queue_hours) with its dimensions: queue and region
// (grouped by queue; absent for calls on no queue), queueType
// (standard, fifo), action (send, receive, delete, admin) and tier (hot,
// cold), each present where it applies and was asked for.
type UsageQuantity struct {
	Meter      string            `json:"meter"`
	Dimensions map[string]string `json:"dimensions,omitempty"`
	Quantity   int64             `json:"quantity"`
	Unit       string            `json:"unit"`
}
