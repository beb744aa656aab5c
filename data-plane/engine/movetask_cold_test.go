package engine_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/tiering/segment"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

// A move task never moves a message whose cold frame fails its check,
// and in a FIFO group it moves none behind it either: the group's head
// stays, and so does the rest of the group, in order. Its messages before
// the corrupt one are moved, and the task does not fail for it.
// Before, the messages behind a corrupt one were moved past it, out of
// the group's order.
func TestFIFOMoveTaskStopsAGroupAtACorruptColdMessage(t *testing.T) {
	skipInvariants(t, "corrupts a segment on purpose")
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		clock, blobs, opts, e := newSlowBlobsEngine(t, store, 1000)
		dlq := mustCreate(t, e, "dlq.fifo", fifoAttrs)
		policy := fmt.Sprintf(`{"deadLetterTargetArn":"%s","maxReceiveCount":1}`, dlq.ARN())
		src := mustCreate(t, e, "src.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true", queues.AttrRedrivePolicy: policy})
		ids := map[string]string{} // message id → body
		for i := range 5 {
			res := fifoSend(t, e, src, "g", "", fmt.Sprint("m", i))
			ids[res.MessageID] = fmt.Sprint("m", i)
		}
		for range 12 { // one receive each, never deleted: the next dead-letters it
			receive(t, e, src, 10)
			clock.AdvanceSeconds(31)
		}
		clock.Advance(11 * time.Minute)
		mustTier(t, e)
		if rb := recordBytes(t, e, dlq); rb.Cold != 5 {
			t.Fatalf("%d of 5 dead-lettered messages cold", rb.Cold)
		}
		key, data := onlySegment(t, blobs)
		entries, err := segment.ReadIndex(data)
		if err != nil {
			t.Fatal(err)
		}
		corrupted := false
		for _, en := range entries {
			if ids[uuid.UUID(en.ID).String()] == "m2" {
				data[en.Ref.Offset+en.Ref.Length-1] ^= 0x40
				corrupted = true
			}
		}
		if !corrupted {
			t.Fatal("m2 not in the segment")
		}
		if err := blobs.Put(ctx, key, data); err != nil {
			t.Fatal(err)
		}
		handOver(t, e, clock)
		e2 := newTierEngineShards(t, store, clock.Now, opts, 1)
		if _, err := e2.StartMessageMoveTask(ctx, dlq, nil, 0); err != nil {
			t.Fatal(err)
		}
		waitMoved(t, e2, dlq, 2)
		time.Sleep(1500 * time.Millisecond) // batches after the corrupt one
		var bodies []string
		for _, m := range drain(t, e2, src) {
			bodies = append(bodies, m.Body)
		}
		if got := strings.Join(bodies, ","); got != "m0,m1" {
			t.Errorf("moved back to the source: %s; want m0,m1 (m2 corrupt, the rest behind it)", got)
		}
		if task := latestTask(t, e2, dlq); task.Status != engine.MoveTaskRunning || task.ApproximateNumberOfMessagesMoved != 2 {
			t.Errorf("task %+v; want running, 2 moved", task)
		}
		if cs := e2.ColdStats(); cs.Corrupt == 0 {
			t.Errorf("cold stats %+v: the corrupt frame not counted", cs)
		}
	})
}
