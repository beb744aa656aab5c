package kvfault

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/internal/kv"
)

// A read's context bounds it while TiKV is unreachable. client-go's
// scanner and lock resolver back off on budgets of their own (20 s and
// more) under a context.Background; the driver interrupts them through
// client-go's Killed flag when the call's context ends.
func TestReadsStopAtTheirDeadlineWhileTheStoreIsDown(t *testing.T) {
	s, rpc, _ := openFaulty(t)
	ctx := context.Background()
	for n := range 3 {
		if err := set(ctx, s, string(rune('a'+n)), "v"); err != nil {
			t.Fatal(err)
		}
	}
	reads := map[string]func(ctx context.Context, r kv.Reader) error{
		"scan": func(ctx context.Context, r kv.Reader) error {
			_, err := r.Scan(ctx, []byte("a"), []byte("z"), 10)
			return err
		},
		"get": func(ctx context.Context, r kv.Reader) error { _, err := r.Get(ctx, []byte("a")); return err },
	}
	for name, read := range reads {
		for _, how := range []string{"view", "update"} {
			t.Run(name+" in "+how, func(t *testing.T) {
				rpc.Down(time.Minute)
				defer rpc.Down(0)
				const deadline = time.Second
				ctx, cancel := context.WithTimeout(context.Background(), deadline)
				defer cancel()
				began := time.Now()
				var err error
				if how == "view" {
					err = s.View(ctx, func(r kv.Reader) error { return read(ctx, r) })
				} else {
					err = s.Update(ctx, func(tx kv.Txn) error { return read(ctx, tx) })
				}
				took := time.Since(began)
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("err = %v, want one saying the deadline passed", err)
				}
				// One backoff sleep and one RPC attempt may run past the
				// deadline; client-go's own budgets run to tens of seconds.
				if took > deadline+5*time.Second {
					t.Fatalf("returned %v after a %v deadline: %v", took, deadline, err)
				}
				t.Logf("returned after %v: %v", took.Round(time.Millisecond), err)
			})
		}
	}
}
