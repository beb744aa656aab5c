package queues_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/sluice-mq/sluice/data-plane/admission"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
	"github.com/sluice-mq/sluice/tenants"
)

// maxQueues is the queue-count decision of an admitted call by a tenant
// whose quota is n queues.
func maxQueues(n int) func(existing int64) error {
	call, err := admission.New(admission.Options{}).Admit(admission.SQS, admission.Tenant{Account: "test", Quotas: tenants.Quotas{MaxQueues: n}}, "CreateQueue")
	if err != nil {
		panic(err)
	}
	return call.AdmitQueue
}

// TestQueueQuotaUnderConcurrentCreates: 50 creates at once, on two catalogs
// sharing the store (two nodes), against an account one queue short of its
// quota, leave exactly the quota. Counting the records before the create's
// transaction let all 50 through.
func TestQueueQuotaUnderConcurrentCreates(t *testing.T) {
	const quota = 10
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		clock := newFakeClock()
		nodes := []*queues.Catalog{queues.New(store, clock.Now), queues.New(store, clock.Now)}
		for i := range quota - 1 {
			if _, err := nodes[0].CreateWith(ctx, ref(fmt.Sprint("q", i)), queues.NewQueue{Admit: maxQueues(quota)}); err != nil {
				t.Fatal(err)
			}
		}
		var (
			wg               sync.WaitGroup
			mu               sync.Mutex
			created, refused int
		)
		for i := range 50 {
			wg.Go(func() {
				e := nodes[i%2]
				_, err := e.CreateWith(ctx, ref(fmt.Sprint("new", i)), queues.NewQueue{Admit: maxQueues(quota)})
				mu.Lock()
				defer mu.Unlock()
				var ee *sqserr.Error
				switch {
				case err == nil:
					created++
				case errors.As(err, &ee) && ee.Code == sqserr.CodeOverLimit:
					refused++
				default:
					t.Errorf("create new%d: %v", i, err)
				}
			})
		}
		wg.Wait()
		names, _, err := nodes[0].List(ctx, ref("").Account, ref("").Region, "", 0, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(names) != quota || created != 1 || refused != 49 {
			t.Fatalf("%d queues (%d created, %d refused), want exactly %d", len(names), created, refused, quota)
		}
	})
}

// TestQueueQuotaCountsEveryRegionAndDeletes: the quota is the account's,
// across regions; a delete frees a place; an existing name passes at the
// quota; a store written before the count key existed is counted from its
// records.
func TestQueueQuotaCountsEveryRegionAndDeletes(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		clock := newFakeClock()
		e := queues.New(store, clock.Now)
		limit := queues.NewQueue{Admit: maxQueues(2)}
		east, west := ref("a"), ref("b")
		west.Region = "us-west-2"
		for _, r := range []queues.Ref{east, west} {
			if _, err := e.CreateWith(ctx, r, limit); err != nil {
				t.Fatal(err)
			}
		}
		_, err := e.CreateWith(ctx, ref("c"), limit)
		wantCode(t, err, sqserr.CodeOverLimit)
		if _, err := e.CreateWith(ctx, east, limit); err != nil {
			t.Fatalf("recreating an existing queue at the quota: %v", err)
		}
		if _, err := e.Delete(ctx, west); err != nil {
			t.Fatal(err)
		}
		if _, err := e.CreateWith(ctx, ref("c"), limit); err != nil {
			t.Fatalf("create after a delete freed a place: %v", err)
		}

		// As a store from before the count key: the count comes from the
		// queue records, two of them.
		if err := store.Update(ctx, func(tx kv.Txn) error { return tx.Delete([]byte("C/n/" + east.Account)) }); err != nil {
			t.Fatal(err)
		}
		_, err = e.CreateWith(ctx, ref("d"), limit)
		wantCode(t, err, sqserr.CodeOverLimit)
		for _, name := range []string{"a", "c"} {
			if _, err := e.Delete(ctx, ref(name)); err != nil {
				t.Fatal(err)
			}
		}
		if err := store.View(ctx, func(r kv.Reader) error {
			_, err := r.Get(ctx, []byte("C/n/"+east.Account))
			if !errors.Is(err, kv.ErrNotFound) {
				return fmt.Errorf("count key of an account without queues: %v, want it removed", err)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
}
