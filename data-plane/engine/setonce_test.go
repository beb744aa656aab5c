package engine_test

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/internal/kv/local"

	"github.com/sluice-mq/sluice/internal/syncbuf"
)

// syncBuffer is a log sink safe for Pebble's background goroutines.
type syncBuffer = syncbuf.Buffer

// Standard messages' index entries are deleted with Pebble's SingleDelete
// (kv.DeleteSetOnce), which is only right for keys Set once per life: a
// claim, a visibility change (to the same millisecond too), a delete, an
// expiry and a dead-letter move each delete an entry and write a new one,
// and none may Set an entry twice. Pebble reports a SingleDelete that met
// two Sets when a flush or compaction brings them together; with every
// step flushed and compacted, it must report none, and no message may come
// back.
func TestIndexEntriesAreSetOncePerLife(t *testing.T) {
	var logged syncBuffer
	store := openLocal(t, local.Options{Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	clock := newFakeClock()
	e := newEngine(t, store, clock.Now)
	dlq := mustCreate(t, e, "dlq", nil)
	r := mustCreate(t, e, "q", map[string]string{
		"MessageRetentionPeriod": "120",
		queues.AttrRedrivePolicy: fmt.Sprintf(`{"deadLetterTargetArn":"%s","maxReceiveCount":3}`, dlq.ARN()),
	})
	compact := func() {
		t.Helper()
		if err := store.Compact(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 40 {
		mustSend(t, e, r, fmt.Sprintf("m%d", i))
	}
	compact()
	zero, thirty := 0, 30
	for round := range 4 {
		msgs, err := e.ReceiveMessage(ctx, r, engine.ReceiveInput{MaxNumberOfMessages: 10, VisibilityTimeout: &zero, WaitTimeSeconds: &zero})
		if err != nil {
			t.Fatal(err)
		}
		compact()
		msgs2, err := e.ReceiveMessage(ctx, r, engine.ReceiveInput{MaxNumberOfMessages: 10, VisibilityTimeout: &thirty, WaitTimeSeconds: &zero})
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range append(msgs, msgs2...) {
			// Back to the same millisecond, then further, then visible.
			for _, timeout := range []int{30, 30, 45, 0} {
				if i%2 == 0 {
					_ = e.ChangeMessageVisibility(ctx, r, m.ReceiptHandle, timeout)
				}
			}
			if i%3 == round%3 {
				_ = e.DeleteMessage(ctx, r, m.ReceiptHandle)
			}
		}
		compact()
		clock.Advance(31 * time.Second)
	}
	clock.Advance(2 * time.Minute) // past the retention: the rest expire
	for range 10 {
		receive(t, e, r, 10)
	}
	compact()
	for range 10 {
		if msgs := receive(t, e, r, 10); len(msgs) > 0 {
			t.Fatalf("received %q after every message expired", msgs[0].Body)
		}
	}
	if strings.Contains(logged.String(), "SINGLEDEL") {
		t.Fatalf("pebble reported a misused SingleDelete:\n%s", logged.String())
	}
}
