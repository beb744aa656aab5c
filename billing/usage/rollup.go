package usage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/sluice-mq/sluice/internal/kv"
)

// Rollups. The nodes write hourly records per incarnation (the minute →
// hour step happens in each meter's memory); the billing role compacts
// them into days. Compact collapses every raw record of a UTC day that
// ended more than LateWindow ago into one day record per (account, day,
// region, queue), and Expire deletes records by ingestion time.
//
// Exactly once: each batch is one transaction that reads raw records,
// adds them into their day records (creating or adding to them) and
// deletes them. Two compactors at once write the same day keys and delete
// the same raw keys, so one of them conflicts (tikv: write-write conflict;
// local: transactions are serial), retries on a fresh snapshot, finds the
// raw records gone and adds nothing. So no lease is needed: a second node
// only wastes a little work. Readers see a compaction whole or not at all.
//
// A raw record of a compacted day written later (late usage) stays raw
// and is added by the next run. A node must not rewrite a record after
// it was compacted, or it would count twice: the meter rewrites a window
// only until the first flush after its hour ends, and the late window
// (48 h) bounds that, provided node clocks are within it of each other.

const (
	// DefaultLateWindow is how long after a UTC day ends its raw records
	// may still arrive and are kept hourly.
	DefaultLateWindow = 48 * time.Hour
	// DefaultRetention is how long usage is kept after it was last
	// written (ingestion time).
	DefaultRetention = 400 * 24 * time.Hour
	// DefaultCompactInterval is how often Compactor.Run runs.
	DefaultCompactInterval = 15 * time.Minute
	// compactBatch bounds the raw records of one transaction.
	compactBatch = 256
)

// HourlyHorizon is the earliest hour whose hourly usage is surely kept at
// now: the start of the UTC day that was open lateWindow ago. Days before
// it may have been compacted.
func HourlyHorizon(now time.Time, lateWindow time.Duration) time.Time {
	if lateWindow <= 0 {
		lateWindow = DefaultLateWindow
	}
	return time.Unix(dayOf(now.Add(-lateWindow)), 0).UTC()
}

// CompactStats counts what one run did.
type CompactStats struct {
	Raw  int // raw records added into day records and deleted
	Days int // day records written (a day record written by two batches counts twice)
}

// Compact compacts, for every account with usage, the raw records of the
// days that ended more than DefaultLateWindow before now.
func Compact(ctx context.Context, store kv.Store, now time.Time) (CompactStats, error) {
	return compact(ctx, store, now, DefaultLateWindow)
}

func compact(ctx context.Context, store kv.Store, now time.Time, lateWindow time.Duration) (CompactStats, error) {
	var total CompactStats
	cutoff := HourlyHorizon(now, lateWindow)
	next := []byte(recordsPrefix)
	for {
		account, err := nextAccount(ctx, store, next)
		if err != nil || account == "" {
			return total, err
		}
		st, err := compactAccount(ctx, store, account, cutoff)
		total.Raw += st.Raw
		total.Days += st.Days
		if err != nil {
			return total, err
		}
		// The next account: '/' + 1 is '0', so this skips the account's
		// every record.
		next = fmt.Appendf(nil, "%s%s0", recordsPrefix, account)
	}
}

// nextAccount returns the account of the first raw record at or after
// start, or "" when there is none.
func nextAccount(ctx context.Context, store kv.Store, start []byte) (string, error) {
	var account string
	err := store.View(ctx, func(r kv.Reader) error {
		account = ""
		kvs, err := r.Scan(ctx, start, kv.PrefixEnd([]byte(recordsPrefix)), 1)
		if err != nil || len(kvs) == 0 {
			return err
		}
		rest := kvs[0].Key[len(recordsPrefix):]
		if i := bytes.IndexByte(rest, '/'); i > 0 {
			account = string(rest[:i])
		}
		return nil
	})
	return account, err
}

// compactAccount compacts account's raw records of hours before cutoff,
// compactBatch at a time, each batch one transaction.
// A day record's written time is the latest of its raw records': the
// last ingestion of any usage it holds, which retention goes by.
func compactAccount(ctx context.Context, store kv.Store, account string, cutoff time.Time) (CompactStats, error) {
	var total CompactStats
	start, end := accountRange(account, time.Unix(0, 0), cutoff)
	for {
		var st CompactStats
		var last []byte
		var scanned int
		err := store.Update(ctx, func(tx kv.Txn) error {
			st, last, scanned = CompactStats{}, nil, 0
			kvs, err := tx.Scan(ctx, start, end, compactBatch)
			if err != nil {
				return err
			}
			scanned = len(kvs)
			if scanned == 0 {
				return nil
			}
			last = kvs[scanned-1].Key
			type dayGroup struct {
				day           int64
				region, queue string
			}
			sums := map[dayGroup]*Counters{}
			written := map[dayGroup]int64{}
			var order []dayGroup
			for _, p := range kvs {
				ref, ok := ParseRecordKey(p.Key)
				if !ok || ref.Account != account {
					continue // not a record: leave it
				}
				rec, err := DecodeRecord(p.Value)
				if err != nil {
					return fmt.Errorf("compact %q: %w", p.Key, err)
				}
				g := dayGroup{day: dayOf(ref.Hour), region: ref.Region, queue: ref.Queue}
				if sums[g] == nil {
					sums[g] = &Counters{}
					order = append(order, g)
				}
				sums[g].Add(&rec.Counters)
				written[g] = max(written[g], rec.Written)
				if err := tx.Delete(p.Key); err != nil {
					return err
				}
				st.Raw++
			}
			for _, g := range order {
				key := DayKey(account, g.region, g.queue, time.Unix(g.day, 0))
				c := sums[g]
				raw, err := tx.Get(ctx, key)
				switch {
				case errors.Is(err, kv.ErrNotFound):
				case err != nil:
					return err
				default:
					prev, err := DecodeRecord(raw)
					if err != nil {
						return fmt.Errorf("compact into %q: %w", key, err)
					}
					c.Add(&prev.Counters)
					written[g] = max(written[g], prev.Written)
				}
				if err := tx.Set(key, EncodeRecord(c, time.UnixMilli(written[g]))); err != nil {
					return err
				}
				st.Days++
			}
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("compact usage of %s: %w", account, err)
		}
		total.Raw += st.Raw
		total.Days += st.Days
		if scanned < compactBatch {
			return total, nil
		}
		start = append(last, 0)
	}
}

// Expire deletes every usage record, raw or day, last written (its
// ingestion time, never the hour it counts) before now - retention, each
// page of records in one transaction that reads them afresh, so a record
// a compaction has just rewritten is kept.
func Expire(ctx context.Context, store kv.Store, now time.Time, retention time.Duration) (int, error) {
	if retention <= 0 {
		retention = DefaultRetention
	}
	before := now.Add(-retention).UnixMilli()
	deleted := 0
	for _, prefix := range []string{recordsPrefix, daysPrefix} {
		start, end := []byte(prefix), kv.PrefixEnd([]byte(prefix))
		for {
			n, scanned := 0, 0
			var last []byte
			err := store.Update(ctx, func(tx kv.Txn) error {
				n, scanned, last = 0, 0, nil
				kvs, err := tx.Scan(ctx, start, end, scanPage)
				if err != nil {
					return err
				}
				scanned = len(kvs)
				if scanned > 0 {
					last = kvs[scanned-1].Key
				}
				for _, p := range kvs {
					rec, err := DecodeRecord(p.Value)
					if err != nil || rec.Written >= before {
						continue // kept; an unreadable record is left for a person
					}
					if err := tx.Delete(p.Key); err != nil {
						return err
					}
					n++
				}
				return nil
			})
			if err != nil {
				return deleted, fmt.Errorf("expire usage: %w", err)
			}
			deleted += n
			if scanned < scanPage {
				break
			}
			start = append(last, 0)
		}
	}
	return deleted, nil
}

// CompactorOptions configure a Compactor.
type CompactorOptions struct {
	Store      kv.Store
	Clock      func() time.Time // default time.Now
	Interval   time.Duration    // default DefaultCompactInterval
	LateWindow time.Duration    // default DefaultLateWindow
	Retention  time.Duration    // default DefaultRetention
	Log        *slog.Logger
}

// Compactor is the billing role's rollup and retention loop.
type Compactor struct{ opts CompactorOptions }

// NewCompactor returns a compactor; Run runs it.
func NewCompactor(opts CompactorOptions) *Compactor {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Interval <= 0 {
		opts.Interval = DefaultCompactInterval
	}
	if opts.LateWindow <= 0 {
		opts.LateWindow = DefaultLateWindow
	}
	if opts.Retention <= 0 {
		opts.Retention = DefaultRetention
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Compactor{opts: opts}
}

// Tick compacts what is due, then expires what is past retention (in that
// order, so a record is counted into its day before retention looks at it).
func (c *Compactor) Tick(ctx context.Context) (CompactStats, int, error) {
	now := c.opts.Clock()
	st, err := compact(ctx, c.opts.Store, now, c.opts.LateWindow)
	if err != nil {
		return st, 0, err
	}
	n, err := Expire(ctx, c.opts.Store, now, c.opts.Retention)
	return st, n, err
}

// Run ticks every Interval until ctx ends. Errors are logged and retried
// on the next tick. Every billing node may run it: see Compact.
func (c *Compactor) Run(ctx context.Context) error {
	t := time.NewTicker(c.opts.Interval)
	defer t.Stop()
	for {
		st, n, err := c.Tick(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			c.opts.Log.Error("usage rollup", "error", err)
		case st.Raw > 0 || n > 0:
			c.opts.Log.Info("usage rollup", "compacted", st.Raw, "dayRecords", st.Days, "expired", n)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
