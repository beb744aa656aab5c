package usage

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/sluice-mq/sluice/internal/kv"
)

// scanPage bounds one scan of records.
const scanPage = 1000

// eachRecord calls fn for every record of account for hours in [from, to)
// (both truncated to the hour): the raw records of those hours, then the
// day records of the days that start in [from, to), so a compacted day
// counts where its first hour falls.
func eachRecord(ctx context.Context, r kv.Reader, account string, from, to time.Time, fn func(RecordRef, *Record) error) error {
	start, end := accountRange(account, from, to)
	if err := scanRecords(ctx, r, account, start, end, ParseRecordKey, fn); err != nil {
		return err
	}
	start, end = accountDayRange(account, from, to)
	return scanRecords(ctx, r, account, start, end, ParseDayKey, fn)
}

func scanRecords(ctx context.Context, r kv.Reader, account string, start, end []byte,
	parse func([]byte) (RecordRef, bool), fn func(RecordRef, *Record) error) error {
	for {
		kvs, err := r.Scan(ctx, start, end, scanPage)
		if err != nil {
			return fmt.Errorf("scan usage of %s: %w", account, err)
		}
		for _, p := range kvs {
			ref, ok := parse(p.Key)
			if !ok || ref.Account != account {
				continue
			}
			rec, err := DecodeRecord(p.Value)
			if err != nil {
				return fmt.Errorf("%q: %w", p.Key, err)
			}
			if err := fn(ref, rec); err != nil {
				return err
			}
		}
		if len(kvs) < scanPage {
			return nil
		}
		start = append(kvs[len(kvs)-1].Key, 0)
	}
}

// ErrHourlyCompacted is returned (wrapped) by an hour-granular read that
// meets a compacted day: its hours are no longer kept apart.
var ErrHourlyCompacted = errors.New("usage: hourly usage of a compacted day is gone")

// Quantities sums account's usage of the hours in [from, to) (truncated
// to the hour, so the open hour counts as far as it was flushed) over
// every node, and over queues unless byQueue. Sampled meters are floored
// to whole hours after summing the span.
func Quantities(ctx context.Context, r kv.Reader, account string, from, to time.Time, byQueue bool) ([]Quantity, error) {
	bs, err := Buckets(ctx, r, account, from, to, BucketOptions{Width: Total, ByQueue: byQueue, ByClass: true})
	if err != nil || len(bs) == 0 {
		return nil, err
	}
	return bs[0].Quantities, nil
}

// Width is how wide a bucket is.
type Width int

const (
	Total Width = iota // one bucket over the whole span
	Hour
	Day // UTC days
)

// BucketOptions says how Buckets groups usage.
type BucketOptions struct {
	Width   Width
	ByQueue bool // a quantity per queue rather than summed over queues
	ByClass bool // request units per action class rather than summed
}

// Bucket is usage over [Start, End).
type Bucket struct {
	Start, End time.Time
	Quantities []Quantity
}

// Buckets reads account's usage of the hours in [from, to) in buckets of
// opts.Width, in time order; buckets without usage are left out. A
// compacted day counts in Total and Day buckets; an Hour read that meets
// one fails with ErrHourlyCompacted (HourlyHorizon says how far back
// hours are surely kept).
func Buckets(ctx context.Context, r kv.Reader, account string, from, to time.Time, opts BucketOptions) ([]Bucket, error) {
	from = time.Unix(hourOf(from), 0).UTC()
	to = time.Unix(hourOf(to), 0).UTC()
	if !to.After(from) {
		return nil, nil
	}
	type group struct {
		start         int64
		region, queue string
	}
	sums := map[group]*Counters{}
	err := eachRecord(ctx, r, account, from, to, func(ref RecordRef, rec *Record) error {
		g := group{}
		switch opts.Width {
		case Total:
			g.start = from.Unix()
		case Hour:
			if ref.Day {
				return fmt.Errorf("%w: %s (read it by day)", ErrHourlyCompacted, ref.Hour.Format(time.DateOnly))
			}
			g.start = ref.Hour.Unix()
		case Day:
			y, m, d := ref.Hour.Date()
			g.start = time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix()
		}
		if opts.ByQueue {
			g.region, g.queue = ref.Region, ref.Queue
		}
		c := sums[g]
		if c == nil {
			c = &Counters{}
			sums[g] = c
		}
		c.Add(&rec.Counters)
		return nil
	})
	if err != nil {
		return nil, err
	}
	groups := make([]group, 0, len(sums))
	for g := range sums {
		groups = append(groups, g)
	}
	sort.Slice(groups, func(i, j int) bool {
		if groups[i].start != groups[j].start {
			return groups[i].start < groups[j].start
		}
		if groups[i].queue != groups[j].queue {
			return groups[i].queue < groups[j].queue
		}
		return groups[i].region < groups[j].region
	})
	var out []Bucket
	for _, g := range groups {
		qs := sums[g].Quantities(g.region, g.queue)
		if !opts.ByClass {
			qs = sumClasses(qs)
		}
		if len(qs) == 0 {
			continue
		}
		if n := len(out); n == 0 || out[n-1].Start.Unix() != g.start {
			start := time.Unix(g.start, 0).UTC()
			end := to
			switch opts.Width {
			case Hour:
				end = start.Add(time.Hour)
			case Day:
				end = start.AddDate(0, 0, 1)
			}
			if end.After(to) {
				end = to
			}
			if start.Before(from) {
				start = from
			}
			out = append(out, Bucket{Start: start, End: end})
		}
		out[len(out)-1].Quantities = append(out[len(out)-1].Quantities, qs...)
	}
	return out, nil
}

// sumClasses merges request quantities that differ only by class.
func sumClasses(qs []Quantity) []Quantity {
	out := qs[:0:0]
	at := map[Quantity]int{}
	for _, q := range qs {
		amount := q.Amount
		q.Amount = 0
		if q.Meter == Requests {
			q.Class = ""
		}
		if i, ok := at[q]; ok {
			out[i].Amount += amount
			continue
		}
		at[q] = len(out)
		q.Amount = amount
		out = append(out, q)
	}
	return out
}
