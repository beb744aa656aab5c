package queues_test

import (
	"testing"

	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/internal/kv"
)

// Internal queues (a topic's push backlog) are neither listed with the
// account's queues nor counted against its quota, whether the count key
// exists or is rebuilt by counting the records.
func TestInternalQueuesAreNotCounted(t *testing.T) {
	forEachDriver(t, func(t *testing.T, c *queues.Catalog, _ kv.Store, _ *fakeClock) {
		internal := queues.Ref{Account: "111122223333", Region: queues.InternalRegionPrefix + "us-east-1", Name: "backlog"}
		if !internal.Internal() || ref("a").Internal() {
			t.Fatal("Internal() is wrong")
		}
		if _, err := c.CreateWith(ctx, internal, queues.NewQueue{Admit: maxQueues(0)}); err != nil {
			t.Fatalf("an internal queue was admitted against the quota: %v", err)
		}
		// No count key yet: the next create counts the records.
		if _, err := c.CreateWith(ctx, ref("a"), queues.NewQueue{Admit: maxQueues(1)}); err != nil {
			t.Fatalf("the internal queue was counted: %v", err)
		}
		if _, err := c.CreateWith(ctx, ref("b"), queues.NewQueue{Admit: maxQueues(1)}); err == nil {
			t.Fatal("quota of 1 let a second queue in")
		}
		if _, err := c.Delete(ctx, internal); err != nil {
			t.Fatal(err)
		}
		// Deleting it left the count alone: still one queue.
		if _, err := c.CreateWith(ctx, ref("b"), queues.NewQueue{Admit: maxQueues(1)}); err == nil {
			t.Fatal("deleting the internal queue lowered the count")
		}
		names, _, err := c.List(ctx, "111122223333", "us-east-1", "", 1000, "")
		if err != nil || len(names) != 1 {
			t.Fatalf("listed %v (%v)", names, err)
		}
	})
}
