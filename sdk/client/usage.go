package client

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sluice-mq/sluice/sdk/api"
)

// Usage granularities.
const (
	GranularityHour = "hour"
	GranularityDay  = "day"
)

// UsageQuery says which usage GetUsage reads; every field is optional.
type UsageQuery struct {
	// From is truncated to the hour; zero: the start of the current UTC
	// month.
	From time.Time
	// To is exclusive, truncated to the hour, at most 367 days after From;
	// zero: through the current hour.
	To time.Time
	// Granularity is GranularityHour or GranularityDay ("": day). Hours
	// are kept until a day is rolled up, 48 h after it ends.
	Granularity string
	// GroupBy splits quantities by "queue" (with its region) and/or
	// "action".
	GroupBy []string
}

// values encodes q as the route's query parameters.
func (q UsageQuery) values() url.Values {
	v := url.Values{}
	if !q.From.IsZero() {
		v.Set("from", q.From.UTC().Format(time.RFC3339))
	}
	if !q.To.IsZero() {
		v.Set("to", q.To.UTC().Format(time.RFC3339))
	}
	if q.Granularity != "" {
		v.Set("granularity", q.Granularity)
	}
	if len(q.GroupBy) > 0 {
		v.Set("groupBy", strings.Join(q.GroupBy, ","))
	}
	return v
}

// GetUsage reads the tenant's metered usage in hour or day buckets (UTC);
// usage is readable within seconds of the calls.
func (c *Client) GetUsage(ctx context.Context, account string, q UsageQuery) (api.Usage, error) {
	return callFor[api.Usage](ctx, c, call{method: http.MethodGet, path: api.PathTenantUsage, query: q.values()}, account)
}
