package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/sluice-mq/sluice/e2e/bench/load"
)

// report is one invocation's output: the workload, each run, and how the
// target compares with the null bound.
type report struct {
	Mode     string
	Workload load.Config
	Null     *load.Result
	Target   *load.Result
	// Ratio is target ÷ null throughput: the share of this machine's
	// client-side ceiling the server reaches.
	Ratio *ratio
	// ServerCPU is the target server's CPU time over the target run
	// (--server-pid), nil when not measured.
	ServerCPU *time.Duration
}

// cpuPerDelivered is the server's CPU time per delivered message, in µs;
// ok is false when it was not measured or nothing was delivered.
func (r *report) cpuPerDelivered() (us float64, ok bool) {
	if r.ServerCPU == nil || r.Target == nil || r.Target.Delivered == 0 {
		return 0, false
	}
	return float64(*r.ServerCPU) / float64(time.Microsecond) / float64(r.Target.Delivered), true
}

type ratio struct {
	Sent      float64 `json:"sent_per_sec"`
	Delivered float64 `json:"delivered_per_sec"`
}

func (r *report) computeRatio() {
	if r.Null == nil || r.Target == nil {
		return
	}
	r.Ratio = &ratio{
		Sent:      divide(r.Target.SentPerSec, r.Null.SentPerSec),
		Delivered: divide(r.Target.DeliveredPerSec, r.Null.DeliveredPerSec),
	}
}

func divide(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// workloadJSON is the part of load.Config worth printing: no secrets.
type workloadJSON struct {
	Producers       int     `json:"producers"`
	Consumers       int     `json:"consumers"`
	Batch           int     `json:"batch"`
	MessageSize     int     `json:"message_size"`
	Messages        int     `json:"messages"`
	Rate            float64 `json:"rate"`
	WaitTimeSeconds int     `json:"wait_time_seconds"`
	TimeoutSeconds  float64 `json:"timeout_seconds"`
}

func (r *report) workload() workloadJSON {
	c := r.Workload
	return workloadJSON{
		Producers: c.Producers, Consumers: c.Consumers, Batch: c.Batch,
		MessageSize: c.MessageSize, Messages: c.Messages, Rate: c.Rate,
		WaitTimeSeconds: c.WaitTimeSeconds, TimeoutSeconds: c.Timeout.Seconds(),
	}
}

func (r *report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	var cpu *serverCPUJSON
	if us, ok := r.cpuPerDelivered(); ok {
		cpu = &serverCPUJSON{Seconds: r.ServerCPU.Seconds(), MicrosPerDelivered: us}
	}
	return enc.Encode(struct {
		Mode      string         `json:"mode"`
		Workload  workloadJSON   `json:"workload"`
		Null      *load.Result   `json:"null,omitempty"`
		Target    *load.Result   `json:"target,omitempty"`
		Ratio     *ratio         `json:"ratio,omitempty"`
		ServerCPU *serverCPUJSON `json:"server_cpu,omitempty"`
	}{r.Mode, r.workload(), r.Null, r.Target, r.Ratio, cpu})
}

type serverCPUJSON struct {
	Seconds            float64 `json:"seconds"`
	MicrosPerDelivered float64 `json:"us_per_delivered"`
}

// row is one line of the table: a label and how to read it off a result.
type row struct {
	label string
	cell  func(load.Result) string
	// rate rows get a ratio column.
	rate func(load.Result) float64
}

var rows = []row{
	{label: "sent msgs/s", rate: func(r load.Result) float64 { return r.SentPerSec }},
	{label: "delivered msgs/s", rate: func(r load.Result) float64 { return r.DeliveredPerSec }},
	{label: "send call p50 / p99", cell: func(r load.Result) string { return pair(r.SendCall) }},
	{label: "receive call p50 / p99", cell: func(r load.Result) string { return pair(r.ReceiveCall) }},
	{label: "delete call p50 / p99", cell: func(r load.Result) string { return pair(r.DeleteCall) }},
	{label: "end-to-end p50 / p99", cell: func(r load.Result) string { return pair(r.EndToEnd) }},
	{label: "sent / delivered", cell: func(r load.Result) string { return fmt.Sprintf("%d / %d", r.Sent, r.Delivered) }},
	{label: "missing / duplicates", cell: func(r load.Result) string { return fmt.Sprintf("%d / %d", r.Missing, r.Duplicates) }},
	{label: "FIFO order violations", cell: func(r load.Result) string {
		return fmt.Sprintf("%d (%d without a sequence number)", r.OrderViolations, r.MissingSequence)
	}},
	{label: "send failed / errors / retries", cell: func(r load.Result) string {
		return fmt.Sprintf("%d / %d / %d", r.SendFailed, r.Errors, r.Retries)
	}},
	{label: "requests per 10 delivered", cell: func(r load.Result) string { return r.RequestsPer(10) }},
	{label: "empty receives", cell: func(r load.Result) string { return strconv.FormatInt(r.EmptyReceives, 10) }},
	{label: "left in queue", cell: func(r load.Result) string { return strconv.FormatInt(r.LeftInQueue, 10) }},
	{label: "elapsed", cell: func(r load.Result) string { return r.Elapsed.Round(time.Millisecond).String() }},
	{label: "ended by", cell: endedBy},
}

func endedBy(r load.Result) string {
	switch {
	case r.CutAtDeadline:
		return "deadline (partial)"
	case r.Drained:
		return "drain timeout"
	default:
		return "all delivered"
	}
}

func pair(l load.Latency) string {
	if l.Count == 0 {
		return "-"
	}
	return short(l.P50) + " / " + short(l.P99)
}

// short prints a latency with three significant digits.
func short(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.3gs", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.3gms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.3gµs", float64(d)/float64(time.Microsecond))
	}
}

func (r *report) writeTable(w io.Writer) error {
	c := r.Workload
	rate := "unbounded"
	if c.Rate > 0 {
		rate = fmt.Sprintf("%g/s", c.Rate)
	}
	fmt.Fprintf(w, "%s workload: producers=%d consumers=%d batch=%d size=%dB messages=%d rate=%s wait=%ds\n\n",
		r.Mode, c.Producers, c.Consumers, c.Batch, c.MessageSize, c.Messages, rate, c.WaitTimeSeconds)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := "\t"
	if r.Null != nil {
		header += "null\t"
	}
	if r.Target != nil {
		header += "target\t"
	}
	if r.Ratio != nil {
		header += "target ÷ null\t"
	}
	fmt.Fprintln(tw, header)
	for _, row := range rows {
		line := row.label + "\t"
		for _, res := range []*load.Result{r.Null, r.Target} {
			if res == nil {
				continue
			}
			if row.rate != nil {
				line += fmt.Sprintf("%.0f\t", row.rate(*res))
			} else {
				line += row.cell(*res) + "\t"
			}
		}
		if r.Ratio != nil && row.rate != nil {
			line += fmt.Sprintf("%.2f\t", divide(row.rate(*r.Target), row.rate(*r.Null)))
		}
		fmt.Fprintln(tw, line)
	}
	if us, ok := r.cpuPerDelivered(); ok {
		line := "server CPU µs / delivered msg\t"
		if r.Null != nil {
			line += "-\t"
		}
		fmt.Fprintf(tw, "%s%.0f (%.2fs)\t\n", line, us, r.ServerCPU.Seconds())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, res := range []*load.Result{r.Null, r.Target} {
		if res != nil && len(res.ErrorSamples) > 0 {
			fmt.Fprintf(w, "\nerrors from %s:\n", res.Endpoint)
			for _, e := range res.ErrorSamples {
				fmt.Fprintf(w, "  %s\n", e)
			}
		}
	}
	return nil
}
