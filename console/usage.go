package console

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/sluice-mq/sluice/sdk/api"
	"github.com/sluice-mq/sluice/sdk/client"
)

// usageDays is how far back the usage charts go.
const usageDays = 30

type usageView struct {
	Requests, Storage chart
	Invoices          []api.Invoice
	BillingOff        bool
}

func (c *Console) usagePage(w http.ResponseWriter, r *http.Request, s *session) error {
	account := r.PathValue("account")
	end := c.opts.Clock().UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
	start := end.AddDate(0, 0, -usageDays)
	u, err := s.cp.GetUsage(r.Context(), account, client.UsageQuery{From: start, To: end, Granularity: client.GranularityDay})
	if err != nil {
		return err
	}
	requests := make([]float64, usageDays)
	storage := make([]float64, usageDays)
	for _, b := range u.Buckets {
		day := int(b.Start.Sub(start) / (24 * time.Hour))
		if day < 0 || day >= usageDays {
			continue
		}
		for _, q := range b.Quantities {
			switch q.Meter {
			case "requests":
				requests[day] += float64(q.Quantity)
			case "storage_byte_hours":
				storage[day] += float64(q.Quantity) / (1 << 30) // GiB-hours
			}
		}
	}
	v := usageView{
		Requests: newChart("Request units per day", start, requests),
		Storage:  newChart("Storage per day (GiB-hours)", start, storage),
	}
	v.Invoices, err = s.cp.ListInvoices(r.Context(), account)
	if errors.Is(err, client.ErrUnavailable) {
		v.BillingOff, err = true, nil
	}
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "usage", view{S: s, Account: account, Title: "Usage and billing", Data: v})
	return nil
}

// invoiceCSV downloads an invoice's lines as the control plane renders
// them in CSV.
func (c *Console) invoiceCSV(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("invoice")
	b, err := s.cp.GetInvoiceCSV(r.Context(), r.PathValue("account"), id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	// The id is the API's (inv_{account}_{YYYY-MM}); anything else is
	// dropped from the file name.
	w.Header().Set("Content-Disposition", `attachment; filename="`+strings.Map(func(r rune) rune {
		if r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return -1
	}, id)+`.csv"`)
	_, err = w.Write(b)
	return err
}

// chart is a bar chart the template draws as SVG, one bar a day; its
// geometry is computed here so the template only places rectangles.
type chart struct {
	Title, MaxLabel string
	Width, Height   int
	Bars            []bar
	First, Last     string
}

type bar struct {
	X, Y, W, H float64
	Label      string // the bar's tooltip: the day and its value
}

const (
	chartWidth  = 600
	chartHeight = 160
)

func newChart(title string, start time.Time, values []float64) chart {
	top := 0.0
	for _, v := range values {
		top = max(top, v)
	}
	ch := chart{Title: title, Width: chartWidth, Height: chartHeight, MaxLabel: formatQuantity(top),
		First: start.Format("Jan 2"), Last: start.AddDate(0, 0, len(values)-1).Format("Jan 2")}
	slot := float64(chartWidth) / float64(len(values))
	for i, v := range values {
		h := 0.0
		if top > 0 {
			h = v / top * (chartHeight - 2)
		}
		ch.Bars = append(ch.Bars, bar{X: float64(i)*slot + 1, Y: chartHeight - h, W: slot - 2, H: h,
			Label: start.AddDate(0, 0, i).Format("Jan 2") + ": " + formatQuantity(v)})
	}
	return ch
}

func formatQuantity(v float64) string {
	switch {
	case v >= 1e9:
		return fmt.Sprintf("%.2fG", v/1e9)
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	case v == float64(int64(v)):
		return fmt.Sprintf("%d", int64(v))
	}
	return fmt.Sprintf("%.3f", v)
}
