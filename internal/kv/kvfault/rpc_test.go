package kvfault

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
	"github.com/sluice-mq/sluice/internal/kv/tikv"
)

func TestMain(m *testing.M) {
	restore, err := ReportStoresLive()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	restore()
	os.Exit(code)
}

func openFaulty(t *testing.T) (*tikv.Store, *RPC, *PD) {
	t.Helper()
	rpc, hijackRPC := NewRPC()
	pd, hijackPD := NewPD()
	s, _ := kvtest.OpenMockTiKVHijacked(t, tikv.Options{GCInterval: -1}, hijackRPC, hijackPD)
	return s, rpc, pd
}

func set(ctx context.Context, s kv.Store, k, v string) error {
	return s.Update(ctx, func(tx kv.Txn) error { return tx.Set([]byte(k), []byte(v)) })
}

// client-go retries through each RPC fault, and the store works once the
// faults stop, then and seconds later.
func TestRPCFaultsAreRetried(t *testing.T) {
	for name, f := range map[string]func(*RPC){
		"not leader":    func(r *RPC) { r.Set(RPCFaults{RegionError: 0.3, RegionKind: NotLeader}) },
		"stale command": func(r *RPC) { r.Set(RPCFaults{RegionError: 0.3, RegionKind: StaleCommand}) },
		"lost reply":    func(r *RPC) { r.Set(RPCFaults{LostReply: 0.3}) },
		"dropped":       func(r *RPC) { r.Set(RPCFaults{Dropped: 0.3}) },
		"resolve delay": func(r *RPC) { r.Set(RPCFaults{ResolveDelay: 100 * time.Millisecond}) },
		"down":          func(r *RPC) { r.Down(500 * time.Millisecond) },
	} {
		t.Run(name, func(t *testing.T) {
			s, rpc, _ := openFaulty(t)
			f(rpc)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			for n := range 20 {
				if err := set(ctx, s, fmt.Sprint("k", n), "v"); err != nil {
					t.Logf("set %d under faults: %v", n, err)
				}
			}
			rpc.Set(RPCFaults{})
			// client-go's region cache must recover, now and later.
			for end := time.Now().Add(time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
				if err := set(ctx, s, "after", "v"); err != nil {
					t.Fatalf("set after the faults: %v", err)
				}
			}
			t.Logf("injected %v", rpc.Injected())
		})
	}
}

// An unknown-outcome commit applied or not, as the fault says.
func TestStoreUnknownOutcomes(t *testing.T) {
	s := Wrap(kvtest.OpenLocal(t))
	ctx := context.Background()
	s.Set(Faults{UnknownApplied: 1})
	if err := set(ctx, s, "a", "1"); !errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("want unknown outcome, got %v", err)
	}
	s.Set(Faults{UnknownNotApplied: 1})
	if err := set(ctx, s, "b", "1"); !errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("want unknown outcome, got %v", err)
	}
	s.Set(Faults{})
	s.Down(time.Minute)
	if err := set(ctx, s, "c", "1"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("want unavailable, got %v", err)
	}
	s.Down(0)
	err := s.View(ctx, func(r kv.Reader) error {
		for k, want := range map[string]bool{"a": true, "b": false, "c": false} {
			_, err := r.Get(ctx, []byte(k))
			if got := err == nil; got != want {
				t.Errorf("%s present %v, want %v (%v)", k, got, want, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
