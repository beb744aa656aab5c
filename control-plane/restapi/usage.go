package restapi

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sluice-mq/sluice/billing/usage"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/sdk/api"
)

// WithUsage serves GET /v1/tenants/{account}/usage from the usage records
// in store (billing/usage); without it the route answers 404.
func (a *API) WithUsage(store kv.Store) *API {
	a.usage = store
	return a
}

// maxUsageSpan bounds one usage read: about a year and a day.
const maxUsageSpan = 367 * 24 * time.Hour

func (a *API) getUsage(c echo.Context) error {
	account := c.Param("account")
	if a.usage == nil {
		return fail(c, http.StatusNotFound, "NotFound", "This node serves no usage.")
	}
	now := a.clock().UTC()
	from := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	to := now.Add(time.Hour) // through the open hour
	// Usage outlives its tenant: an operator may read a deleted
	// tenant's, so the account need not exist.
	var err error
	if v := c.QueryParam("from"); v != "" {
		if from, err = time.Parse(time.RFC3339, v); err != nil {
			return fail(c, http.StatusBadRequest, "InvalidParameterValue", "from must be an RFC 3339 time.")
		}
	}
	if v := c.QueryParam("to"); v != "" {
		if to, err = time.Parse(time.RFC3339, v); err != nil {
			return fail(c, http.StatusBadRequest, "InvalidParameterValue", "to must be an RFC 3339 time.")
		}
	}
	if !to.After(from) || to.Sub(from) > maxUsageSpan {
		return fail(c, http.StatusBadRequest, "InvalidParameterValue", "to must be after from, by at most 367 days.")
	}
	opts := usage.BucketOptions{Width: usage.Day}
	granularity := c.QueryParam("granularity")
	switch granularity {
	case "", "day":
		granularity = "day"
	case "hour":
		opts.Width = usage.Hour
		// Days past their late window are compacted into day records
		// (billing/usage rollups): their hours are gone.
		h := usage.HourlyHorizon(now, usage.DefaultLateWindow)
		if c.QueryParam("from") == "" && from.Before(h) {
			from = h // the default: this month, as far as its hours are kept
		}
		if from.Before(h) {
			return fail(c, http.StatusBadRequest, "InvalidParameterValue",
				"Hourly usage is kept only from "+h.Format(time.RFC3339)+
					" on (older days are rolled up into days): use granularity=day, or a later from.")
		}
	default:
		return fail(c, http.StatusBadRequest, "InvalidParameterValue", "granularity must be hour or day.")
	}
	if g := c.QueryParam("groupBy"); g != "" {
		for _, d := range strings.Split(g, ",") {
			switch strings.TrimSpace(d) {
			case "queue":
				opts.ByQueue = true
			case "action":
				opts.ByClass = true
			default:
				return fail(c, http.StatusBadRequest, "InvalidParameterValue", "groupBy takes queue and action.")
			}
		}
	}
	var buckets []usage.Bucket
	err = a.usage.View(c.Request().Context(), func(r kv.Reader) error {
		var err error
		buckets, err = usage.Buckets(c.Request().Context(), r, account, from, to, opts)
		return err
	})
	if errors.Is(err, usage.ErrHourlyCompacted) {
		return fail(c, http.StatusBadRequest, "InvalidParameterValue", "Hourly usage of a rolled-up day was asked for: use granularity=day.")
	}
	if err != nil {
		a.log.Error("read usage", "account", account, "error", err)
		return fail(c, http.StatusInternalServerError, "InternalFailure", "The usage could not be read.")
	}
	out := api.Usage{AccountID: account, From: from.UTC(), To: to.UTC(), Granularity: granularity, Buckets: []api.UsageBucket{}}
	for _, b := range buckets {
		wb := api.UsageBucket{Start: b.Start, End: b.End, Quantities: make([]api.UsageQuantity, 0, len(b.Quantities))}
		for _, q := range b.Quantities {
			wb.Quantities = append(wb.Quantities, wireQuantity(q))
		}
		out.Buckets = append(out.Buckets, wb)
	}
	return c.JSON(http.StatusOK, out)
}

func wireQuantity(q usage.Quantity) api.UsageQuantity {
	dims := map[string]string{}
	for k, v := range map[string]string{"queue": q.Queue, "region": q.Region, "queueType": q.QueueType, "action": q.Class, "tier": q.Tier} {
		if v != "" {
			dims[k] = v
		}
	}
	if len(dims) == 0 {
		dims = nil
	}
	return api.UsageQuantity{Meter: string(q.Meter), Dimensions: dims, Quantity: q.Amount, Unit: usage.Unit(q.Meter)}
}
