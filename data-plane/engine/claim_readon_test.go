package engine_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

// coldHeadQueue makes a one-shard queue whose index starts with cold
// messages the blob store can no longer serve, behind them one hot
// message, and returns a fresh node (empty segment cache) to receive
// with. sendCold sends the cold ones.
func coldHeadQueue(t *testing.T, store kv.Store, name string, attrs map[string]string, sendCold func(e *engine.Engine, r queues.Ref)) (*engine.Engine, queues.Ref) {
	t.Helper()
	clock := newFakeClock()
	flaky := &flakyBlobs{Store: openFSBlobs(t)}
	e := newTierEngineShards(t, store, clock.Now, tierOptions(flaky), 1)
	r := mustCreate(t, e, name, attrs)
	sendCold(e, r)
	clock.Advance(11 * time.Minute)
	mustTier(t, e)
	if rb := recordBytes(t, e, r); rb.Hot != 0 {
		t.Fatalf("record bytes %+v after tiering, want all cold", rb)
	}
	flaky.down.Store(true)
	handOver(t, e, clock)
	e2 := newTierEngineShards(t, store, clock.Now, tierOptions(flaky), 1)
	// Up again before the engines' end-of-test checks (cleanups run last
	// registered first), which list segments.
	t.Cleanup(func() { flaky.down.Store(false) })
	return e2, r
}

// receiveUntil receives up to tries times and returns the messages of the
// first receive that returned any.
func receiveUntil(t *testing.T, e *engine.Engine, r queues.Ref, tries int) (msgs []engine.Message, took int) {
	t.Helper()
	for i := range tries {
		if msgs = receive(t, e, r, 10); len(msgs) > 0 {
			return msgs, i + 1
		}
	}
	return nil, tries
}

// A shard whose head holds more unreadable cold messages than a claim's
// first batch (a claim reads 10 entries on the local store, a window of 48
// on TiKV) does not hide the hot message behind them: the claim reads on.
// With more of them than one claim may read on (256), the hot message
// still comes out within a few receives.
func TestClaimReadsOnPastColdHead(t *testing.T) {
	for _, tc := range []struct {
		cold, tries int
	}{{100, 1}, {700, 4}} {
		t.Run(fmt.Sprintf("cold=%d", tc.cold), func(t *testing.T) {
			kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
				e, r := coldHeadQueue(t, store, "head", nil, func(e *engine.Engine, r queues.Ref) {
					for i := range tc.cold {
						mustSend(t, e, r, fmt.Sprintf("cold %d", i))
					}
				})
				mustSend(t, e, r, "hot")
				msgs, took := receiveUntil(t, e, r, tc.tries)
				if len(msgs) != 1 || msgs[0].Body != "hot" {
					t.Fatalf("after %d receives got %d messages, want the hot one alone", took, len(msgs))
				}
				if err := e.DeleteMessage(ctx, r, msgs[0].ReceiptHandle); err != nil {
					t.Fatal(err)
				}
				if more := receive(t, e, r, 10); len(more) != 0 {
					t.Fatalf("received %q with the blob store down", more[0].Body)
				}
			})
		})
	}
}

// The same for a FIFO queue: more groups whose head is an unreadable cold
// message than a claim scans at first (the batch and 4) do not hide a
// group behind them.
func TestClaimReadsOnPastBlockedFIFOGroups(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		attrs := map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"}
		e, r := coldHeadQueue(t, store, "head.fifo", attrs, func(e *engine.Engine, r queues.Ref) {
			for i := range 40 {
				sendToGroup(t, e, r, fmt.Sprintf("g%d", i), fmt.Sprintf("cold %d", i))
			}
		})
		sendToGroup(t, e, r, "hot", "hot")
		msgs, took := receiveUntil(t, e, r, 1)
		if len(msgs) != 1 || msgs[0].Body != "hot" {
			t.Fatalf("after %d receives got %d messages, want the hot one alone", took, len(msgs))
		}
	})
}

func sendToGroup(t *testing.T, e *engine.Engine, r queues.Ref, group, body string) {
	t.Helper()
	if _, err := e.SendMessage(ctx, r, engine.SendInput{Body: body, MessageGroupID: &group}); err != nil {
		t.Fatalf("send to %s: %v", group, err)
	}
}
