package topics_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/topics"
	"github.com/sluice-mq/sluice/internal/kv"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func countKeys(t *testing.T, s kv.Store, prefix string) int {
	t.Helper()
	var n int
	err := s.View(ctx, func(r kv.Reader) error {
		kvs, err := r.Scan(ctx, []byte(prefix), kv.PrefixEnd([]byte(prefix)), 0)
		n = len(kvs)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestFIFOTopicDeduplication(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e env) {
		clk := &fakeClock{now: time.UnixMilli(1_800_000_000_000)}
		cat := topics.New(e.store, topics.Options{Clock: clk.Now})
		ft := tref("orders.fifo")
		if _, err := cat.Create(ctx, ft, map[string]string{"FifoTopic": "true"}, nil, nil); err != nil {
			t.Fatal(err)
		}
		pub := func(body, group, dedup string) topics.PublishResult {
			t.Helper()
			res, err := cat.Publish(ctx, e.eng, ft, topics.Message{Body: body, GroupID: group, DeduplicationID: dedup})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.SequenceNumber) != 20 {
				t.Fatalf("sequence number %q", res.SequenceNumber)
			}
			return res
		}
		// The topic deduplicates with no subscription at all: a duplicate
		// gets the first message's id and sequence number.
		first := pub("a", "g1", "d1")
		if dup := pub("other body", "g1", "d1"); dup.MessageID != first.MessageID || dup.SequenceNumber != first.SequenceNumber {
			t.Fatalf("duplicate got %+v, first %+v", dup, first)
		}
		// Sequence numbers grow within a group, in one millisecond too.
		second := pub("b", "g1", "d2")
		if second.MessageID == first.MessageID || second.SequenceNumber <= first.SequenceNumber {
			t.Fatalf("second %+v after first %+v", second, first)
		}
		other := pub("c", "g2", "d3")
		if other.MessageID == first.MessageID {
			t.Fatal("another dedup id in another group reused the id")
		}
		// In one batch, the second entry with an id is the first's duplicate.
		res, err := cat.PublishBatch(ctx, e.eng, ft, []topics.Message{
			{Body: "x", GroupID: "g1", DeduplicationID: "d4"},
			{Body: "y", GroupID: "g1", DeduplicationID: "d4"},
		})
		if err != nil || res[0].Err != nil || res[1].Err != nil || res[0].Result.MessageID != res[1].Result.MessageID ||
			res[0].Result.SequenceNumber <= second.SequenceNumber {
			t.Fatalf("batch %+v, %v", res, err)
		}
		// Ids are SNS's: 1 to 128 printable ASCII characters.
		for _, m := range []topics.Message{
			{Body: "x", GroupID: "g", DeduplicationID: strings.Repeat("d", 129)},
			{Body: "x", GroupID: "g g", DeduplicationID: "d"},
			{Body: "x", GroupID: strings.Repeat("g", 129), DeduplicationID: "d"},
		} {
			_, err := cat.Publish(ctx, e.eng, ft, m)
			wantCode(t, err, topics.CodeInvalidParameter)
		}
		// After the 5-minute window the id is new again, and its number
		// is above every earlier one of the group.
		clk.Add(5*time.Minute + time.Millisecond)
		again := pub("a", "g1", "d1")
		if again.MessageID == first.MessageID || again.SequenceNumber <= res[0].Result.SequenceNumber {
			t.Fatalf("after the window %+v, first %+v", again, first)
		}
		// Publishes sweep expired records: of the 4 ids and 2 groups of
		// the first window, only d1 and g1 (written again) remain.
		clk.Add(time.Millisecond)
		pub("z", "g3", "d5")
		pub("z", "g3", "d6")
		prefix := func(kind string) string {
			return "T/" + kind + "/" + account + "/" + region + "/orders.fifo/"
		}
		if d, g := countKeys(t, e.store, prefix("d")), countKeys(t, e.store, prefix("g")); d != 3 || g != 2 {
			t.Fatalf("after sweeping: %d dedup and %d group records, want 3 and 2", d, g)
		}
		// DeleteTopic drops them all; the topic made again starts afresh.
		if err := cat.Delete(ctx, ft); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"d", "g", "e"} {
			if n := countKeys(t, e.store, prefix(k)); n != 0 {
				t.Fatalf("%d %s records left after DeleteTopic", n, k)
			}
		}
		if _, err := cat.Create(ctx, ft, map[string]string{"FifoTopic": "true"}, nil, nil); err != nil {
			t.Fatal(err)
		}
		if fresh := pub("a", "g1", "d1"); fresh.MessageID == again.MessageID {
			t.Fatal("a topic made again kept the old deduplication record")
		}
	})
}

// TestFIFOTopicDuplicateDeliversNothing: a duplicate reaches no queue,
// and the envelope carries the sequence number.
func TestFIFOTopicDuplicateDeliversNothing(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e env) {
		ft := tref("t.fifo")
		if _, err := e.cat.Create(ctx, ft, map[string]string{"FifoTopic": "true"}, nil, nil); err != nil {
			t.Fatal(err)
		}
		q := queues.Ref{Account: account, Region: region, Name: "q.fifo"}
		if _, err := e.eng.Catalog().Create(ctx, q, map[string]string{"FifoQueue": "true"}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := e.cat.Subscribe(ctx, ft, "sqs", q.ARN(), nil); err != nil {
			t.Fatal(err)
		}
		var results []topics.PublishResult
		for i := 0; i < 3; i++ {
			res, err := e.cat.Publish(ctx, e.eng, ft, topics.Message{Body: fmt.Sprint("m", i), GroupID: "g", DeduplicationID: "same"})
			if err != nil {
				t.Fatal(err)
			}
			results = append(results, res)
		}
		if results[1].Delivered != 0 || results[2].Delivered != 0 || results[0].Delivered != 1 {
			t.Fatalf("results %+v", results)
		}
		got := receiveAll(t, e, q)
		if len(got) != 1 {
			t.Fatalf("queue got %d messages", len(got))
		}
		var n struct{ MessageId, Message, SequenceNumber string }
		if err := json.Unmarshal([]byte(got[0].Body), &n); err != nil || n.MessageId != results[0].MessageID || n.Message != "m0" || n.SequenceNumber != results[0].SequenceNumber {
			t.Fatalf("envelope %s (%v), want sequence number %s", got[0].Body, err, results[0].SequenceNumber)
		}
	})
}
