package enginechaos

import (
	"context"
	"fmt"
	"testing"
	"time"

	pingcaplog "github.com/pingcap/log"
	"go.uber.org/zap/zapcore"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/e2e/chaos/history"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvfault"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
	"github.com/sluice-mq/sluice/internal/kv/tikv"
)

// startEngine opens and starts a node over store.
func startEngine(t *testing.T, store kv.Store, opts engine.Options) *engine.Engine {
	t.Helper()
	opts.ReceiptKey = receiptKey
	if opts.PollInterval == 0 {
		opts.PollInterval = 50 * time.Millisecond
	}
	if opts.FlushInterval == 0 {
		opts.FlushInterval = 200 * time.Millisecond
	}
	if opts.SweepInterval == 0 {
		opts.SweepInterval = time.Second
	}
	e, err := engine.New(store, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.Start(ctx)
	t.Cleanup(func() { cancel(); _ = e.Close() })
	return e
}

// TestTiKVStoreFaults: two nodes share the tikv driver over client-go's
// mock store while, in turn, TiKV answers with region errors and resolves
// locks slowly, commits lose their replies or are cut off before they
// happen (the caller cannot know which), replies are lost and requests
// dropped below client-go, the store is unreachable and PD hands out no
// timestamps. Producers and consumers of a standard and a FIFO queue
// record what they did; the history must keep every promise.
func TestTiKVStoreFaults(t *testing.T) {
	rpc, hijackRPC := kvfault.NewRPC()
	pd, hijackPD := kvfault.NewPD()
	inner, _ := kvtest.OpenMockTiKVHijacked(t, tikv.Options{GCInterval: time.Second, GCLifetime: 10 * time.Second}, hijackRPC, hijackPD)
	store := kvfault.Wrap(inner)
	// client-go logs every injected fault at error level.
	pingcaplog.SetLevel(zapcore.FatalLevel)
	w := newWorkload(startEngine(t, store, engine.Options{}), startEngine(t, store, engine.Options{}))
	w.createQueues(t)

	const outage = 1500 * time.Millisecond
	phases := []struct {
		what   string
		on     func()
		length time.Duration
	}{
		{"region errors on 20% of requests, lock resolution 200 ms slow", func() {
			rpc.Set(kvfault.RPCFaults{RegionError: 0.2, ResolveDelay: 200 * time.Millisecond})
		}, outage},
		{"10% of commits applied with an unknown outcome, 10% cut off with an unknown outcome", func() {
			store.Set(kvfault.Faults{UnknownApplied: 0.1, UnknownNotApplied: 0.1})
		}, outage},
		{"10% of RPC replies lost after TiKV applied them, 5% of requests dropped", func() {
			rpc.Set(kvfault.RPCFaults{LostReply: 0.1, Dropped: 0.05})
		}, outage},
		{"TiKV unreachable", func() { rpc.Down(outage) }, outage},
		{"PD hands out no timestamps", func() { pd.Down(outage) }, outage},
		{"every call fails: store down", func() { store.Down(outage) }, outage},
	}
	heal := func() {
		rpc.Set(kvfault.RPCFaults{})
		store.Set(kvfault.Faults{})
		rpc.Down(0)
		pd.Down(0)
		store.Down(0)
	}

	stop := make(chan struct{})
	go func() {
		defer close(stop)
		n := rounds(t, 2)
		for round := range n {
			for _, p := range phases {
				time.Sleep(500 * time.Millisecond)
				start := w.rec.Now()
				p.on()
				time.Sleep(p.length)
				heal()
				w.fault(start, fmt.Sprintf("round %d: %s", round, p.what))
			}
		}
		time.Sleep(500 * time.Millisecond)
	}()
	w.run(t, stop)
	t.Logf("load and drain took %v", w.rec.Now())

	r := w.check(t, history.Checker{Slack: history.DefaultSlack})
	t.Logf("injected: store %v, rpc %v, pd %v", store.Injected(), rpc.Injected(), pd.Injected())
	failOnAnomalies(t, r)
	explainLost(t, store, r)
	if r.SendsAcked == 0 || r.Deliveries == 0 {
		t.Fatalf("no load ran: %s", r.Summary())
	}
}
