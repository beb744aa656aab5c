package queues_test

import (
	"errors"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/internal/kv"
)

// readRecent reads the queue's record through ReadRecent in a transaction
// of its own, marked before it begins.
func readRecent(t *testing.T, c *queues.Catalog, s kv.Store, r queues.Ref, maxAge time.Duration) (*queues.Record, error) {
	t.Helper()
	mark := c.Mark()
	var q *queues.Record
	err := s.View(ctx, func(rd kv.Reader) (err error) {
		q, err = c.ReadRecent(ctx, rd, r, mark, maxAge)
		return err
	})
	return q, err
}

// TestReadRecentSeesThisCatalogsWritesAtOnce: a record read through
// ReadRecent is reused only until a write through the same catalog
// finishes (a purge, an attribute change, a delete), whatever its age.
func TestReadRecentSeesThisCatalogsWritesAtOnce(t *testing.T) {
	forEachDriver(t, func(t *testing.T, c *queues.Catalog, s kv.Store, _ *fakeClock) {
		r := ref("recent")
		if _, err := c.Create(ctx, r, nil, nil); err != nil {
			t.Fatal(err)
		}
		first, err := readRecent(t, c, s, r, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Purge(ctx, r); err != nil {
			t.Fatal(err)
		}
		q, err := readRecent(t, c, s, r, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if q.DID() == first.DID() {
			t.Fatal("ReadRecent returned the data id from before this catalog's purge")
		}
		if err := c.SetAttributes(ctx, r, map[string]string{"VisibilityTimeout": "7"}); err != nil {
			t.Fatal(err)
		}
		if q, err = readRecent(t, c, s, r, time.Hour); err != nil || q.Attributes.VisibilityTimeout != 7 {
			t.Fatalf("after SetAttributes: %+v, %v; want VisibilityTimeout 7", q, err)
		}
		if _, err := c.Delete(ctx, r); err != nil {
			t.Fatal(err)
		}
		if _, err := readRecent(t, c, s, r, time.Hour); !errors.Is(err, sqserr.ErrQueueDoesNotExist) {
			t.Fatalf("after Delete: %v, want NonExistentQueue", err)
		}
	})
}

// TestReadRecentSeesOtherCatalogsWritesAfterMaxAge: another catalog's
// (another node's) change is seen once the reused record is maxAge old,
// and not before: that is what the reuse saves.
func TestReadRecentSeesOtherCatalogsWritesAfterMaxAge(t *testing.T) {
	forEachDriver(t, func(t *testing.T, c *queues.Catalog, s kv.Store, clock *fakeClock) {
		other := queues.New(s, clock.Now)
		r := ref("recent")
		if _, err := c.Create(ctx, r, nil, nil); err != nil {
			t.Fatal(err)
		}
		const maxAge = 200 * time.Millisecond
		first, err := readRecent(t, c, s, r, maxAge)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := other.Purge(ctx, r); err != nil {
			t.Fatal(err)
		}
		if q, err := readRecent(t, c, s, r, maxAge); err != nil || q.DID() != first.DID() {
			t.Fatalf("within maxAge: %v, %v; want the record read before (no read)", q, err)
		}
		time.Sleep(maxAge)
		q, err := readRecent(t, c, s, r, maxAge)
		if err != nil {
			t.Fatal(err)
		}
		if q.DID() == first.DID() {
			t.Fatal("another catalog's purge not seen after maxAge")
		}
	})
}

// TestReadWithReadsTheRecordAndKeysAtOnce: ReadWith returns the record and
// the keys that exist, and NonExistentQueue for a missing queue.
func TestReadWithReadsTheRecordAndKeysAtOnce(t *testing.T) {
	forEachDriver(t, func(t *testing.T, c *queues.Catalog, s kv.Store, _ *fakeClock) {
		r := ref("with")
		if _, err := c.Create(ctx, r, map[string]string{"VisibilityTimeout": "9"}, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.Update(ctx, func(tx kv.Txn) error { return tx.Set([]byte("x/present"), []byte("v")) }); err != nil {
			t.Fatal(err)
		}
		err := s.View(ctx, func(rd kv.Reader) error {
			q, vals, err := c.ReadWith(ctx, rd, r, [][]byte{[]byte("x/present"), []byte("x/absent")})
			if err != nil {
				return err
			}
			if q.Attributes.VisibilityTimeout != 9 || len(vals) != 1 || string(vals["x/present"]) != "v" {
				t.Fatalf("ReadWith = %+v, %q", q.Attributes, vals)
			}
			if _, _, err := c.ReadWith(ctx, rd, ref("missing"), nil); !errors.Is(err, sqserr.ErrQueueDoesNotExist) {
				t.Fatalf("missing queue: %v, want NonExistentQueue", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
