package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-mq/sluice/control-plane/jwtauth"
	"github.com/sluice-mq/sluice/sdk/api"
)

// billingUsage is the short usage of `sluice billing`.
const billingUsage = `want "sluice billing export --from TIME --to TIME [--granularity hour|day] ` +
	`[--format cloudevents|csv] [--account ACCOUNT] [--endpoint URL] [--token TOKEN]"`

// runBilling runs a billing subcommand: export.
func runBilling(ctx context.Context, env environment, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "export":
			return runBillingExport(ctx, env, args[1:])
		case "help", "-h", "-help", "--help":
			fmt.Fprintln(env.stdout, "Usage: sluice billing export [flags]\n\n"+billingUsage+"\n\nRun \"sluice billing export -h\" for its flags.")
			return errHelp
		}
	}
	return errors.New(billingUsage)
}

// exportTimeout bounds the whole export.
const exportTimeout = 5 * time.Minute

// runBillingExport writes usage as CloudEvents JSON lines or CSV, one line
// per (account, window, region, queue, meter, dimensions). It reads the
// control plane's usage route (GET /v1/tenants/{account}/usage, groupBy
// queue,action) with an operator token, so it works while the service
// runs and needs no store access.
func runBillingExport(ctx context.Context, env environment, args []string) error {
	var (
		from, to, granularity, format, account string
		endpoint, token, deployment, region    string
		config                                 string
		keys                                   keyFlags
	)
	fs := flag.NewFlagSet("sluice billing export", flag.ContinueOnError)
	fs.StringVar(&from, "from", "", "start of the export, inclusive: RFC 3339 or YYYY-MM-DD (UTC), on a window boundary")
	fs.StringVar(&to, "to", "", "end of the export, exclusive: RFC 3339 or YYYY-MM-DD (UTC), on a window boundary")
	fs.StringVar(&granularity, "granularity", "hour", "window: hour (kept until a day is rolled up, 48 h after it ends) or day (UTC)")
	fs.StringVar(&format, "format", "cloudevents", "cloudevents (CloudEvents 1.0 JSON lines, for OpenMeter or Lago) or csv")
	fs.StringVar(&account, "account", "", "one account id; default: every tenant the control plane lists")
	fs.StringVar(&endpoint, "endpoint", "http://127.0.0.1:9324", "the control plane's URL")
	fs.StringVar(&token, "token", "", "an operator token; default: mint one from the token key (--jwt-key-file, --jwt-key, or --data's jwt.key)")
	fs.StringVar(&deployment, "deployment", "", "this deployment's name: events carry source sluice://NAME; default: the endpoint's host/--region")
	fs.StringVar(&region, "region", defaultRegion, "the deployment's region, for the default --deployment")
	keys.register(fs)
	fs.StringVar(&config, "config", "", "YAML file with settings (keys are flag names)")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	var step func(time.Time) time.Time
	switch granularity {
	case "hour":
		step = func(t time.Time) time.Time { return t.Add(time.Hour) }
	case "day":
		step = func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }
	default:
		return fmt.Errorf("--granularity %q: want hour or day", granularity)
	}
	if format != "cloudevents" && format != "csv" {
		return fmt.Errorf("--format %q: want cloudevents or csv", format)
	}
	start, err := parseExportTime("--from", from, granularity)
	if err != nil {
		return err
	}
	end, err := parseExportTime("--to", to, granularity)
	if err != nil {
		return err
	}
	if !end.After(start) {
		return errors.New("--to must be after --from")
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--endpoint %q: want http://host:port or https://host:port", endpoint)
	}
	if deployment == "" {
		deployment = u.Hostname() + "/" + region
	}
	if token == "" {
		key, err := keys.load()
		if err != nil {
			return fmt.Errorf("%w (or give an operator token with --token)", err)
		}
		if token, err = key.Mint(jwtauth.RoleOperator, "", exportTimeout+time.Minute, time.Now()); err != nil {
			return fmt.Errorf("operator token: %w", err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, exportTimeout)
	defer cancel()
	c := controlPlane{base: strings.TrimSuffix(endpoint, "/"), token: strings.TrimSpace(token)}
	accounts := []string{account}
	if account == "" {
		if accounts, err = c.accounts(ctx); err != nil {
			return fmt.Errorf("--endpoint %s: list tenants: %w", endpoint, err)
		}
	}
	w := bufio.NewWriter(env.stdout)
	out := newExportWriter(w, format, "sluice://"+deployment)
	for _, acct := range accounts {
		// The route reads at most 367 days at a time.
		for lo := start; lo.Before(end); {
			hi := lo
			for i := 0; i < 360 && hi.Before(end); i++ {
				hi = step(hi)
			}
			if hi.After(end) {
				hi = end
			}
			usage, err := c.usage(ctx, acct, lo, hi, granularity)
			if err != nil {
				return fmt.Errorf("--endpoint %s: usage of %s: %w", endpoint, acct, err)
			}
			for _, b := range usage.Buckets {
				if err := out.bucket(acct, b.Start.UTC(), step(b.Start.UTC()), b.Quantities); err != nil {
					return err
				}
			}
			lo = hi
		}
	}
	if err := out.flush(); err != nil {
		return err
	}
	return w.Flush()
}

// parseExportTime parses an RFC 3339 time or a date, which must fall on a
// window boundary so that every window exported is whole.
func parseExportTime(name, v, granularity string) (time.Time, error) {
	if v == "" {
		return time.Time{}, fmt.Errorf("%s is required", name)
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		if t, err = time.Parse(time.DateOnly, v); err != nil {
			return time.Time{}, fmt.Errorf("%s %q: want an RFC 3339 time or a date (YYYY-MM-DD)", name, v)
		}
	}
	t = t.UTC()
	aligned := t.Truncate(time.Hour).Equal(t)
	if granularity == "day" {
		aligned = t.Equal(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC))
	}
	if !aligned {
		return time.Time{}, fmt.Errorf("%s %s: want the start of a UTC %s, so every window is whole", name, v, granularity)
	}
	return t, nil
}

// accounts lists every tenant's account id, page by page, in order.
func (c controlPlane) accounts(ctx context.Context) ([]string, error) {
	var out []string
	q := url.Values{}
	for {
		var page api.TenantList
		if err := c.get(ctx, api.PathTenants, q, &page); err != nil {
			return nil, err
		}
		for _, t := range page.Tenants {
			out = append(out, t.AccountID)
		}
		if page.Next == "" || len(page.Tenants) == 0 {
			return out, nil
		}
		q.Set("after", page.Next)
	}
}

func (c controlPlane) usage(ctx context.Context, account string, from, to time.Time, granularity string) (*api.Usage, error) {
	var u api.Usage
	q := url.Values{
		"from":        {from.Format(time.RFC3339)},
		"to":          {to.Format(time.RFC3339)},
		"granularity": {granularity},
		"groupBy":     {"queue,action"},
	}
	if err := c.get(ctx, api.Expand(api.PathTenantUsage, account), q, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// usageEvent is one exported line as a CloudEvents 1.0 event.
type usageEvent struct {
	SpecVersion     string    `json:"specversion"`
	ID              string    `json:"id"`
	Source          string    `json:"source"`
	Subject         string    `json:"subject"`
	Type            string    `json:"type"`
	Time            time.Time `json:"time"`
	DataContentType string    `json:"datacontenttype"`
	Data            usageData `json:"data"`
}

type usageData struct {
	Queue       string    `json:"queue"`
	Region      string    `json:"region"`
	QueueType   string    `json:"queueType"`
	Action      string    `json:"action"`
	Tier        string    `json:"tier"`
	Quantity    int64     `json:"quantity"`
	Unit        string    `json:"unit"`
	WindowStart time.Time `json:"windowStart"`
	WindowEnd   time.Time `json:"windowEnd"`
}

// usageEventID is the event's deterministic id: hex sha256 of the source,
// account, window (start and end, so an hour and a day starting together
// differ), queue, meter and dimensions. A re-export of a window gives the
// same ids, which OpenMeter dedupes on (source, id) and Lago on
// transaction_id.
func usageEventID(source, account string, start, end time.Time, d usageData, meter string) string {
	h := sha256.New()
	for _, f := range []string{source, account, start.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339),
		d.Region, d.Queue, meter, d.QueueType, d.Action, d.Tier} {
		h.Write([]byte(f))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// csvHeader is the CSV export's header.
var csvHeader = []string{"period_start", "period_end", "account", "region", "queue", "meter",
	"queue_type", "action", "tier", "quantity", "unit"}

type exportWriter struct {
	w      io.Writer
	csv    *csv.Writer
	source string
}

func newExportWriter(w io.Writer, format, source string) *exportWriter {
	e := &exportWriter{w: w, source: source}
	if format == "csv" {
		e.csv = csv.NewWriter(w)
		_ = e.csv.Write(csvHeader)
	}
	return e
}

// bucket writes one window's quantities, in a fixed order.
func (e *exportWriter) bucket(account string, start, end time.Time, qs []api.UsageQuantity) error {
	type line struct {
		meter string
		d     usageData
	}
	lines := make([]line, 0, len(qs))
	for _, q := range qs {
		d := usageData{
			Queue: q.Dimensions["queue"], Region: q.Dimensions["region"], QueueType: q.Dimensions["queueType"],
			Action: q.Dimensions["action"], Tier: q.Dimensions["tier"],
			Quantity: q.Quantity, Unit: q.Unit, WindowStart: start, WindowEnd: end,
		}
		lines = append(lines, line{q.Meter, d})
	}
	sort.Slice(lines, func(i, j int) bool {
		a, b := lines[i], lines[j]
		for _, p := range [][2]string{{a.d.Region, b.d.Region}, {a.d.Queue, b.d.Queue}, {a.meter, b.meter},
			{a.d.QueueType, b.d.QueueType}, {a.d.Action, b.d.Action}, {a.d.Tier, b.d.Tier}} {
			if p[0] != p[1] {
				return p[0] < p[1]
			}
		}
		return false
	})
	for _, l := range lines {
		if e.csv != nil {
			if err := e.csv.Write([]string{start.Format(time.RFC3339), end.Format(time.RFC3339), account,
				l.d.Region, l.d.Queue, l.meter, l.d.QueueType, l.d.Action, l.d.Tier,
				strconv.FormatInt(l.d.Quantity, 10), l.d.Unit}); err != nil {
				return err
			}
			continue
		}
		b, err := json.Marshal(usageEvent{
			SpecVersion: "1.0", ID: usageEventID(e.source, account, start, end, l.d, l.meter), Source: e.source,
			Subject: account, Type: "sluice.usage." + l.meter, Time: start, DataContentType: "application/json", Data: l.d,
		})
		if err != nil {
			return err
		}
		if _, err := e.w.Write(append(b, '\n')); err != nil {
			return err
		}
	}
	return nil
}

func (e *exportWriter) flush() error {
	if e.csv != nil {
		e.csv.Flush()
		return e.csv.Error()
	}
	return nil
}
