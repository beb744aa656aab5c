package engine_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
)

// TestLoneReceiverGetsSendOrder: a single consumer of a quiet standard
// queue receives in send order, 1 or 10 at a time, whether the messages
// were sent one by one or in batches (entries in entry order), many within
// one millisecond (the fake clock moves only now and then) and spread over
// every shard.
func TestLoneReceiverGetsSendOrder(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, clock *fakeClock) {
		for _, max := range []int{1, 10} {
			q := mustCreate(t, e, fmt.Sprintf("ordered-%d", max), nil)
			var want []string
			for i := range 30 {
				want = append(want, fmt.Sprintf("single %02d", i))
				mustSend(t, e, q, want[len(want)-1])
				if i%7 == 6 {
					clock.Advance(time.Millisecond)
				}
			}
			for b := range 4 {
				var batch []engine.SendInput
				for i := range 10 {
					body := fmt.Sprintf("batch %d entry %d", b, i)
					want = append(want, body)
					batch = append(batch, engine.SendInput{Body: body})
				}
				res, err := e.SendMessageBatch(ctx, q, batch)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range res {
					if r.Err != nil {
						t.Fatal(r.Err)
					}
				}
			}
			var got []string
			for len(got) < len(want) {
				msgs := receive(t, e, q, max)
				if len(msgs) == 0 {
					t.Fatalf("receive %d: queue dry after %d of %d", max, len(got), len(want))
				}
				for _, m := range msgs {
					got = append(got, m.Body)
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("receive %d at a time: got\n%q\nwant\n%q", max, got, want)
			}
		}
	})
}

// TestOrderFollowsVisibleAt: a message whose visibility timeout ran out
// sorts by when it became visible again, not by when it was sent; so does
// a delayed one.
func TestOrderFollowsVisibleAt(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *engine.Engine, clock *fakeClock) {
		q := mustCreate(t, e, "visible-at", nil)
		mustSend(t, e, q, "a")
		mustSend(t, e, q, "b")
		if _, err := e.SendMessage(ctx, q, engine.SendInput{Body: "delayed", DelaySeconds: intp(2)}); err != nil {
			t.Fatal(err)
		}
		first, err := e.ReceiveMessage(ctx, q, engine.ReceiveInput{MaxNumberOfMessages: 1, VisibilityTimeout: intp(1), WaitTimeSeconds: intp(0)})
		if err != nil || len(first) != 1 || first[0].Body != "a" {
			t.Fatalf("first receive = %v, %v", first, err)
		}
		clock.AdvanceSeconds(3)
		mustSend(t, e, q, "c")
		var got []string
		for _, m := range receive(t, e, q, 10) {
			got = append(got, m.Body)
		}
		// b visible at t, a again at t+1 s, delayed at t+2 s, c at t+3 s.
		if want := []string{"b", "a", "delayed", "c"}; !slices.Equal(got, want) {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
}
