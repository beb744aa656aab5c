package queues_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

func TestListQueuesAndIsolation(t *testing.T) {
	forEachDriver(t, func(t *testing.T, c *queues.Catalog, _ kv.Store, _ *fakeClock) {
		for i := range 25 {
			mustCreate(t, c, fmt.Sprintf("orders-%02d", i), nil)
		}
		mustCreate(t, c, "payments", nil)
		other := queues.Ref{Account: "999988887777", Region: "us-east-1", Name: "orders-secret"}
		if _, err := c.Create(ctx, other, nil, nil); err != nil {
			t.Fatal(err)
		}
		var all []string
		token := ""
		for pages := 0; ; pages++ {
			names, next, err := c.List(ctx, "111122223333", "us-east-1", "orders-", 10, token)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, names...)
			if next == "" {
				break
			}
			token = next
			if pages > 5 {
				t.Fatal("pagination does not end")
			}
		}
		if len(all) != 25 || !slices.IsSorted(all) || slices.Contains(all, "orders-secret") {
			t.Fatalf("listed %v", all)
		}
		names, next, _ := c.List(ctx, "111122223333", "us-east-1", "", 0, "")
		if len(names) != 26 || next != "" {
			t.Fatalf("unpaginated list: %d names, next %q", len(names), next)
		}
		if names, _, _ := c.List(ctx, "111122223333", "eu-west-1", "", 0, ""); len(names) != 0 {
			t.Fatalf("another region lists %v", names)
		}
		_, _, err := c.List(ctx, "111122223333", "us-east-1", "", 1001, "")
		wantCode(t, err, sqserr.CodeInvalidParameterValue)
		// The other tenant's queue is not reachable under this account.
		_, err = c.Get(ctx, queues.Ref{Account: "111122223333", Region: "us-east-1", Name: "orders-secret"})
		wantCode(t, err, sqserr.CodeQueueDoesNotExist)
	})
}

func TestTags(t *testing.T) {
	forEachDriver(t, func(t *testing.T, c *queues.Catalog, _ kv.Store, _ *fakeClock) {
		q := ref("q")
		if _, err := c.Create(ctx, q, nil, map[string]string{"team": "a"}); err != nil {
			t.Fatal(err)
		}
		if err := c.Tag(ctx, q, map[string]string{"env": "prod", "team": "b"}); err != nil {
			t.Fatal(err)
		}
		if err := c.Untag(ctx, q, []string{"env", "missing"}); err != nil {
			t.Fatal(err)
		}
		tags, err := c.ListTags(ctx, q)
		if err != nil || len(tags) != 1 || tags["team"] != "b" {
			t.Fatalf("tags %v, %v", tags, err)
		}
		wantCode(t, c.Tag(ctx, q, map[string]string{"aws:x": "1"}), sqserr.CodeInvalidParameterValue)
	})
}

// TestUpdateIsOneTransaction: an update with a valid attribute and an
// invalid tag changes nothing; a valid one changes every part at once.
func TestUpdateIsOneTransaction(t *testing.T) {
	forEachDriver(t, func(t *testing.T, c *queues.Catalog, _ kv.Store, _ *fakeClock) {
		q := mustCreate(t, c, "q", nil)
		hour := int64(3600)
		bad := queues.Change{Attributes: map[string]string{"VisibilityTimeout": "60"}, Tags: map[string]string{"aws:x": "1"}}
		wantCode(t, c.Update(ctx, q, bad), sqserr.CodeInvalidParameterValue)
		got, err := c.Get(ctx, q)
		if err != nil || got.Attributes.VisibilityTimeout != 30 || len(got.Tags) != 0 {
			t.Fatalf("after a refused update: %+v, %v", got, err)
		}
		ok := queues.Change{Attributes: map[string]string{"VisibilityTimeout": "60"}, Tags: map[string]string{"team": "a", "env": "x"},
			RemoveTags: []string{"env"}, Tiering: &queues.TieringPatch{HotWindowSeconds: &hour}}
		if err := c.Update(ctx, q, ok); err != nil {
			t.Fatal(err)
		}
		got, err = c.Get(ctx, q)
		if err != nil || got.Attributes.VisibilityTimeout != 60 || len(got.Tags) != 1 || got.Tags["team"] != "a" ||
			got.Tiering.HotWindowSeconds != hour || got.Tiering.HotBytesBudget != queues.DefaultHotBytesBudget {
			t.Fatalf("after an update: %+v, %v", got, err)
		}
	})
}

// TestDeleteAndPurgeLeaveTheOldRangeToTheSweeper: both return the old data
// range and mark it garbage; purge gives the queue a fresh one, delete
// refuses the name for a minute.
func TestDeleteAndPurgeLeaveTheOldRangeToTheSweeper(t *testing.T) {
	forEachDriver(t, func(t *testing.T, c *queues.Catalog, s kv.Store, clock *fakeClock) {
		q := mustCreate(t, c, "q", nil)
		purged, err := c.Purge(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		deleted, err := c.Delete(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if purged == deleted {
			t.Fatal("purge kept the data range")
		}
		for _, d := range []queues.DataID{purged, deleted} {
			if err := s.View(ctx, func(r kv.Reader) error { _, err := r.Get(ctx, queues.GarbageKey(d)); return err }); err != nil {
				t.Fatalf("garbage marker of %x: %v", d, err)
			}
		}
		_, err = c.Create(ctx, q, nil, nil)
		wantCode(t, err, sqserr.CodeQueueDeletedRecently)
		clock.AdvanceSeconds(61)
		if _, err := c.Create(ctx, q, nil, nil); err != nil {
			t.Fatal(err)
		}
	})
}

// TestRecreateDelay: the QueueDeletedRecently window is a setting. Its
// text names the window; 0 (a negative RecreateDelay) lets a name be taken
// again at once; a custom window holds for its length; the sweeper keeps
// markers at least SQS's 60 s, for nodes that still honour it.
func TestRecreateDelay(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, s kv.Store) {
		clock := newFakeClock()
		none := queues.NewWithOptions(s, queues.Options{Clock: clock.Now, RecreateDelay: -1})
		q := mustCreate(t, none, "again", nil)
		for range 3 {
			if _, err := none.Delete(ctx, q); err != nil {
				t.Fatal(err)
			}
			if _, err := none.Create(ctx, q, nil, nil); err != nil {
				t.Fatalf("recreate with no delay: %v", err)
			}
		}

		short := queues.NewWithOptions(s, queues.Options{Clock: clock.Now, RecreateDelay: 5 * time.Second})
		if _, err := short.Delete(ctx, q); err != nil {
			t.Fatal(err)
		}
		_, err := short.Create(ctx, q, nil, nil)
		wantCode(t, err, sqserr.CodeQueueDeletedRecently)
		if want := "You must wait 5 seconds after deleting a queue before you can create another with the same name."; !strings.Contains(err.Error(), want) {
			t.Fatalf("text %q", err)
		}
		// The default catalog on the same store still honours 60 s.
		_, err = queues.New(s, clock.Now).Create(ctx, q, nil, nil)
		wantCode(t, err, sqserr.CodeQueueDeletedRecently)
		if !strings.Contains(err.Error(), "You must wait 60 seconds") {
			t.Fatalf("text %q", err)
		}
		clock.AdvanceSeconds(5)
		// A sweep by the short-window catalog leaves the marker: it is
		// younger than 60 s.
		if err := short.SweepDeletedMarkers(ctx); err != nil {
			t.Fatal(err)
		}
		_, err = queues.New(s, clock.Now).Create(ctx, q, nil, nil)
		wantCode(t, err, sqserr.CodeQueueDeletedRecently)
		if _, err := short.Create(ctx, q, nil, nil); err != nil {
			t.Fatalf("recreate after the 5 s window: %v", err)
		}
	})
}
