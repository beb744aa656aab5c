package usage_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/billing/usage"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

const acct = "111111111111"

// now is Thursday 2025-03-06 12:30 UTC: days up to 2025-03-03 are past
// the 48 h late window (2025-03-04 ended 2025-03-05 00:00, < 48 h ago).
var now = time.Date(2025, 3, 6, 12, 30, 0, 0, time.UTC)

func day(d int) time.Time { return time.Date(2025, 3, d, 0, 0, 0, 0, time.UTC) }

// put writes a raw record of n sends (and n queue-minutes) written at.
func put(t *testing.T, s kv.Store, account, queue string, hour time.Time, inc string, n int64, written time.Time) {
	t.Helper()
	c := usage.Counters{}
	c.Requests[usage.TypeStandard][usage.ClassSend] = n
	c.QueueMinutes = n
	c.StorageByteMinutes[usage.TierHot] = 30 * n
	err := s.Update(context.Background(), func(tx kv.Txn) error {
		return tx.Set(usage.RecordKey(account, "us-east-1", queue, hour, inc), usage.EncodeRecord(&c, written))
	})
	if err != nil {
		t.Fatal(err)
	}
}

func buckets(t *testing.T, s kv.Store, account string, from, to time.Time, opts usage.BucketOptions) ([]usage.Bucket, error) {
	t.Helper()
	var bs []usage.Bucket
	err := s.View(context.Background(), func(r kv.Reader) error {
		var err error
		bs, err = usage.Buckets(context.Background(), r, account, from, to, opts)
		return err
	})
	return bs, err
}

// flat renders buckets as "start queue meter amount" lines, for comparing.
func flat(bs []usage.Bucket) string {
	var b bytes.Buffer
	for _, k := range bs {
		for _, q := range k.Quantities {
			fmt.Fprintf(&b, "%s-%s %s/%s %s/%s/%s %d\n", k.Start.Format(time.RFC3339), k.End.Format(time.RFC3339),
				q.Region, q.Queue, q.Meter, q.Class, q.Tier, q.Amount)
		}
	}
	return b.String()
}

func count(t *testing.T, s kv.Store, prefix []byte) int {
	t.Helper()
	n := 0
	err := s.View(context.Background(), func(r kv.Reader) error {
		end := bytes.Clone(prefix)
		end[len(end)-1]++
		kvs, err := r.Scan(context.Background(), prefix, end, 0)
		n = len(kvs)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func sends(t *testing.T, s kv.Store, account string, from, to time.Time) int64 {
	t.Helper()
	var qs []usage.Quantity
	err := s.View(context.Background(), func(r kv.Reader) error {
		var err error
		qs, err = usage.Quantities(context.Background(), r, account, from, to, false)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, q := range qs {
		if q.Meter == usage.Requests {
			n += q.Amount
		}
	}
	return n
}

// Compaction keeps totals and day buckets, drops the compacted raw
// records, refuses hourly reads of compacted days, adds late records on
// the next run, and a rerun changes nothing.
func TestCompact(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, s kv.Store) {
		ctx := context.Background()
		const other = "222222222222"
		for d := 2; d <= 6; d++ {
			for h := 0; h < 24; h += 5 {
				hour := day(d).Add(time.Duration(h) * time.Hour)
				put(t, s, acct, "a", hour, "00000000000000a1", int64(d*100+h), now)
				put(t, s, acct, "a", hour, "00000000000000a2", 1, now)
				put(t, s, acct, "b", hour, "00000000000000a1", 7, now)
				put(t, s, other, "a", hour, "00000000000000b1", 3, now)
			}
		}
		from, to := day(1), day(7)
		byDay := usage.BucketOptions{Width: usage.Day, ByQueue: true, ByClass: true}
		before, err := buckets(t, s, acct, from, to, byDay)
		if err != nil {
			t.Fatal(err)
		}
		total := sends(t, s, acct, from, to)
		raw := count(t, s, usage.RecordsPrefix())

		st, err := usage.Compact(ctx, s, now)
		if err != nil {
			t.Fatal(err)
		}
		// Days 2 and 3 of two accounts: 5 hours × 4 records per day.
		if st.Raw != 2*5*4 || count(t, s, usage.RecordsPrefix()) != raw-st.Raw {
			t.Fatalf("compacted %+v of %d raw records, %d left", st, raw, count(t, s, usage.RecordsPrefix()))
		}
		// Day records: (acct: a, b; other: a) × days 2, 3.
		if n := count(t, s, usage.DaysPrefix()); n != 6 {
			t.Fatalf("%d day records, want 6", n)
		}
		after, err := buckets(t, s, acct, from, to, byDay)
		if err != nil {
			t.Fatal(err)
		}
		if flat(after) != flat(before) {
			t.Fatalf("day buckets changed:\n%s\nwant\n%s", flat(after), flat(before))
		}
		if got := sends(t, s, acct, from, to); got != total {
			t.Fatalf("total %d, want %d", got, total)
		}
		if got, want := sends(t, s, acct, day(2), day(3)), int64(200+205+210+215+220+5+35); got != want {
			t.Fatalf("day 2: %d, want %d", got, want)
		}
		// Hourly reads: refused over a compacted day, served after it.
		if _, err := buckets(t, s, acct, day(3), day(4), usage.BucketOptions{Width: usage.Hour}); !errors.Is(err, usage.ErrHourlyCompacted) {
			t.Fatalf("hourly read of a compacted day: %v", err)
		}
		if h := usage.HourlyHorizon(now, 0); !h.Equal(day(4)) {
			t.Fatalf("horizon %v, want %v", h, day(4))
		}
		hourly, err := buckets(t, s, acct, day(4), day(5), usage.BucketOptions{Width: usage.Hour})
		if err != nil || len(hourly) != 5 {
			t.Fatalf("hourly day 4: %d buckets, %v", len(hourly), err)
		}

		// A rerun does nothing.
		if st, err := usage.Compact(ctx, s, now); err != nil || st.Raw != 0 || st.Days != 0 {
			t.Fatalf("rerun: %+v, %v", st, err)
		}

		// A late record of day 2 stays raw, counts at once, and is added
		// into the day record by the next run.
		put(t, s, acct, "a", day(2).Add(3*time.Hour), "00000000000000c3", 1000, now)
		if got := sends(t, s, acct, from, to); got != total+1000 {
			t.Fatalf("with a late record: %d, want %d", got, total+1000)
		}
		if st, err := usage.Compact(ctx, s, now.Add(time.Minute)); err != nil || st.Raw != 1 || st.Days != 1 {
			t.Fatalf("late run: %+v, %v", st, err)
		}
		if got := sends(t, s, acct, from, to); got != total+1000 {
			t.Fatalf("after compacting the late record: %d, want %d", got, total+1000)
		}
		if n := count(t, s, usage.DaysPrefix()); n != 6 {
			t.Fatalf("%d day records, want 6", n)
		}
		// Sampled meters are floored after summing the day: 30 × n
		// byte-minutes an hour record, so the day's byte-hours are Σn/2.
		bs, err := buckets(t, s, other, day(2), day(3), usage.BucketOptions{Width: usage.Day})
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range bs[0].Quantities {
			if q.Meter == usage.StorageByteHours && q.Amount != 5*3*30/60 {
				t.Fatalf("storage byte-hours %d, want %d", q.Amount, 5*3*30/60)
			}
		}
	})
}

// Compactors running at once count every record exactly once.
func TestConcurrentCompactors(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, s kv.Store) {
		var want int64
		for d := 1; d <= 3; d++ {
			for h := 0; h < 24; h++ {
				for q := 0; q < 5; q++ {
					n := int64(d*1000 + h*10 + q)
					want += n
					put(t, s, acct, fmt.Sprintf("q%d", q), day(d).Add(time.Duration(h)*time.Hour), "00000000000000a1", n, now)
				}
			}
		}
		var wg sync.WaitGroup
		raws := make([]int, 4)
		for i := range raws {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st, err := usage.Compact(context.Background(), s, now)
				if err != nil {
					t.Error(err)
				}
				raws[i] = st.Raw
			}()
		}
		wg.Wait()
		sum := 0
		for _, r := range raws {
			sum += r
		}
		if sum != 3*24*5 {
			t.Errorf("compactors deleted %v raw records together, want %d", raws, 3*24*5)
		}
		if got := sends(t, s, acct, day(1), day(4)); got != want {
			t.Fatalf("after concurrent compaction: %d sends, want %d", got, want)
		}
		if n := count(t, s, usage.RecordsPrefix()); n != 0 {
			t.Fatalf("%d raw records left", n)
		}
		if n := count(t, s, usage.DaysPrefix()); n != 3*5 {
			t.Fatalf("%d day records, want 15", n)
		}
	})
}

// Retention goes by ingestion time: a back-dated record is kept for the
// retention after it arrived, whatever hour it counts.
func TestRetentionByIngestionTime(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, s kv.Store) {
		ctx := context.Background()
		clock := now
		c := usage.NewCompactor(usage.CompactorOptions{Store: s, Clock: func() time.Time { return clock }})
		// An old day, compacted long ago and never touched since.
		put(t, s, acct, "old", day(1).AddDate(-2, 0, 0), "00000000000000a1", 5, now.AddDate(-2, 0, 0))
		if _, err := usage.Compact(ctx, s, now.AddDate(-2, 0, 3)); err != nil {
			t.Fatal(err)
		}
		// A late record counting a day 500 days back, arriving now.
		put(t, s, acct, "late", now.AddDate(0, 0, -500), "00000000000000a1", 7, now)
		// A recent record.
		put(t, s, acct, "new", now.Add(-time.Hour), "00000000000000a1", 11, now)

		st, expired, err := c.Tick(ctx)
		if err != nil || st.Raw != 1 || expired != 1 {
			t.Fatalf("tick: %+v, expired %d, %v", st, expired, err)
		}
		all := func() int64 { return sends(t, s, acct, now.AddDate(-3, 0, 0), now.Add(time.Hour)) }
		if got := all(); got != 7+11 {
			t.Fatalf("kept %d sends, want 18 (the two-year-old day expired, the late one counted)", got)
		}
		clock = now.Add(usage.DefaultRetention - time.Hour)
		if _, expired, err := c.Tick(ctx); err != nil || expired != 0 || all() != 18 {
			t.Fatalf("before retention: expired %d, %v", expired, err)
		}
		clock = now.Add(usage.DefaultRetention + time.Minute)
		if _, expired, err := c.Tick(ctx); err != nil || expired != 2 || all() != 0 {
			t.Fatalf("after retention: expired %d, %d left, %v", expired, all(), err)
		}
	})
}
