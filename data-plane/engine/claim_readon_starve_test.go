package engine_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/internal/blob"
	"github.com/sluice-mq/sluice/internal/kv/local"
)

// unreadableBlobs fails reads of the objects marked bad and flips every
// byte of those marked corrupt.
type unreadableBlobs struct {
	blob.Store
	mu      sync.Mutex
	bad     map[string]bool
	corrupt map[string]bool
}

// corrupted returns data with every byte flipped for a corrupt object.
func (u *unreadableBlobs) corrupted(key string, data []byte, err error) ([]byte, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if err != nil || !u.corrupt[key] {
		return data, err
	}
	out := make([]byte, len(data))
	for i, b := range data {
		out[i] = ^b
	}
	return out, nil
}

func (u *unreadableBlobs) unreadable(key string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.bad[key]
}

// keys lists the objects stored now.
func (u *unreadableBlobs) keys(t *testing.T) []string {
	t.Helper()
	page, err := u.Store.List(ctx, blob.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range page.Objects {
		out = append(out, o.Key)
	}
	return out
}

func (u *unreadableBlobs) set(keys []string, bad bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, k := range keys {
		u.bad[k] = bad
	}
}

func (u *unreadableBlobs) Get(ctx context.Context, key string) ([]byte, error) {
	if u.unreadable(key) {
		return nil, errDown
	}
	data, err := u.Store.Get(ctx, key)
	return u.corrupted(key, data, err)
}

func (u *unreadableBlobs) GetRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	if u.unreadable(key) {
		return nil, errDown
	}
	data, err := u.Store.GetRange(ctx, key, off, n)
	return u.corrupted(key, data, err)
}

// A read-on walk cut short by its budget leaves a cursor past cold
// messages it could not read. When they become readable while the head of
// the shard stays unreadable (corrupt) and a backlog of newer messages
// keeps every walk from the cursor full, they must still come out: the
// cursor does not outlive readOnCursorLife. (Before, it lived until a walk
// reached the shard's end, which a steady backlog never lets happen.)
func TestReadOnCursorDoesNotStarvePassedEntries(t *testing.T) {
	store := openLocal(t, local.Options{})
	clock := newFakeClock()
	blobs := &unreadableBlobs{Store: openFSBlobs(t), bad: map[string]bool{}, corrupt: map[string]bool{}}
	e := newTierEngineShards(t, store, clock.Now, tierOptions(blobs), 1)
	r := mustCreate(t, e, "starve", nil)
	for i := range 20 {
		mustSend(t, e, r, fmt.Sprintf("head %d", i))
	}
	clock.Advance(11 * time.Minute)
	mustTier(t, e)
	head := blobs.keys(t)
	for i := range 300 {
		mustSend(t, e, r, fmt.Sprintf("passed %d", i))
	}
	clock.Advance(11 * time.Minute)
	mustTier(t, e)
	all := blobs.keys(t)
	blobs.set(all, true)
	t.Cleanup(func() { blobs.set(all, false) })
	handOver(t, e, clock)
	e2 := newTierEngineShards(t, store, clock.Now, tierOptions(blobs), 1)
	if msgs := receive(t, e2, r, 10); len(msgs) != 0 {
		t.Fatalf("received %q with every segment unreadable", msgs[0].Body)
	}
	// The passed-over segments are readable again, once the cold tier's
	// backoff after the failed reads (2 s) is over; the head's segments
	// turn corrupt, unreadable for good.
	blobs.set(all, false)
	blobs.mu.Lock()
	for _, k := range head {
		blobs.corrupt[k] = true
	}
	blobs.mu.Unlock()
	time.Sleep(2100 * time.Millisecond)
	// Newer messages keep every walk from the cursor full; the first
	// message it passed over must come out all the same.
	sent := 0
	for round := range 60 {
		for range 10 {
			mustSend(t, e2, r, fmt.Sprintf("new %d", sent))
			sent++
		}
		for _, m := range receive(t, e2, r, 10) {
			if m.Body == "passed 0" {
				t.Logf("passed 0 came out in receive %d", round+1)
				return
			}
			if err := e2.DeleteMessage(ctx, r, m.ReceiptHandle); err != nil {
				t.Fatal(err)
			}
		}
		clock.Advance(time.Second)
	}
	t.Fatal("the first message the cursor passed over did not come out in 60 receives (60 s) while newer ones did")
}
