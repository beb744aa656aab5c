package enginechaos

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	pingcaplog "github.com/pingcap/log"
	clienttikv "github.com/tikv/client-go/v2/tikv"
	"github.com/tikv/client-go/v2/tikvrpc"
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
	w := newWorkload(store, startEngine(t, store, engine.Options{}), startEngine(t, store, engine.Options{}))
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

// dropCommits fails every commit request while drop is set, before it
// reaches the store: the commit of a transaction's primary key sent into
// a network fault.
type dropCommits struct {
	clienttikv.Client
	drop *atomic.Bool
}

func (c dropCommits) SendRequest(ctx context.Context, addr string, req *tikvrpc.Request, timeout time.Duration) (*tikvrpc.Response, error) {
	if req.Type == tikvrpc.CmdCommit && c.drop.Load() {
		return nil, errors.New("injected: commit request lost")
	}
	return c.Client.SendRequest(ctx, addr, req, timeout)
}

// TestUndeterminedClaim: a receive whose commit request is lost answers
// "outcome unknown", and the claim did not happen. Its prewritten locks
// hold the messages until their TTL runs out (client-go cannot roll back
// what it cannot tell apart from a commit); then they are received again,
// none lost. TestTiKVStoreFaults once reported six messages lost this
// way: its drain stopped at 4 s of quiet, before the locks expired.
func TestUndeterminedClaim(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out a lock's TTL (about 15 s); one run without -short covers it")
	}
	var drop atomic.Bool
	hijack := func(c clienttikv.Client) clienttikv.Client { return dropCommits{Client: c, drop: &drop} }
	store, _ := kvtest.OpenMockTiKVHijacked(t, tikv.Options{GCInterval: time.Second, GCLifetime: 10 * time.Second}, hijack, nil)
	pingcaplog.SetLevel(zapcore.FatalLevel)
	e := startEngine(t, store, engine.Options{})
	w := newWorkload(store, e)
	w.createQueues(t)
	const sends = 5
	for i := range sends {
		tok := fmt.Sprintf("std-p0-%07d", i)
		w.send("p0", stdQ, []engine.SendInput{{Body: body(tok)}}, []history.Msg{{Token: tok}})
	}
	drop.Store(true)
	start := time.Now()
	got := w.receive("c0", stdQ, e, 10, 1, 0)
	drop.Store(false)
	ops := w.rec.Ops()
	if last := ops[len(ops)-1]; len(got) != 0 || !strings.Contains(last.Err, "outcome unknown") {
		t.Fatalf("the receive whose commit was lost: %d messages, error %q", len(got), last.Err)
	}
	w.drain(t)
	t.Logf("drained %v after the claim", time.Since(start).Round(100*time.Millisecond))
	r := w.check(t, history.Checker{Slack: history.DefaultSlack})
	failOnAnomalies(t, r)
	explainLost(t, store, r)
	if r.Deliveries < sends {
		t.Fatalf("delivered %d of %d: %s", r.Deliveries, sends, r.Summary())
	}
}
