package kvfault

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pingcap/failpoint"
	"github.com/pingcap/kvproto/pkg/errorpb"
	"github.com/tikv/client-go/v2/tikv"
	"github.com/tikv/client-go/v2/tikvrpc"
	"github.com/tikv/client-go/v2/util/async"
	pd "github.com/tikv/pd/client"
	"github.com/tikv/pd/client/clients/tso"
)

// RPCFaults are the faults an RPC client injects between client-go and
// the TiKV store; the zero value injects none. Probabilities are per
// request.
type RPCFaults struct {
	// RegionError answers a request with a region error (not leader,
	// stale command) without running it: client-go backs off and retries.
	// Not epoch-not-match: TiKV sends it with the current regions, which
	// this client cannot make up, and without them client-go's region
	// cache of the mock store never recovers. Not server-is-busy: its
	// backoff runs to seconds, past a call's deadline at any useful rate.
	RegionError float64
	// RegionKind is which region error; the zero value picks at random.
	RegionKind RegionErrorKind
	// LostReply runs a request and answers with a transport error, as a
	// connection dropped after TiKV applied it; client-go sees an RPC
	// failure (for a commit, an outcome it must not assume).
	LostReply float64
	// Dropped answers with a transport error without running the request.
	Dropped float64
	// ResolveDelay delays every lock-resolution request (CheckTxnStatus,
	// ResolveLock, CheckSecondaryLocks, pessimistic rollback, cleanup).
	ResolveDelay time.Duration
}

// errTransport is an injected connection failure.
var errTransport = errors.New("kvfault: injected: connection reset")

// RPC is a client-go RPC client that injects RPCFaults into the client it
// wraps. Hijack installs it in tikv.NewTestTiKVStore.
type RPC struct {
	tikv.Client
	faults    atomic.Pointer[RPCFaults]
	mu        sync.Mutex
	downUntil time.Time
	counts    sync.Map
}

// NewRPC returns a hijack for tikv.NewTestTiKVStore's clientHijack and the
// RPC client it will install, with no faults enabled.
func NewRPC() (*RPC, func(tikv.Client) tikv.Client) {
	r := &RPC{}
	r.faults.Store(&RPCFaults{})
	return r, func(c tikv.Client) tikv.Client { r.Client = c; return r }
}

// Set replaces the faults injected.
func (r *RPC) Set(f RPCFaults) { r.faults.Store(&f) }

// Down makes the store unreachable for d from now: every request fails
// with a transport error without running.
func (r *RPC) Down(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.downUntil = time.Now().Add(d)
}

// Injected reports how many times each fault was injected.
func (r *RPC) Injected() map[string]int64 { return injected(&r.counts) }

func (r *RPC) count(name string) { count(&r.counts, name) }

func (r *RPC) down() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return time.Now().Before(r.downUntil)
}

func resolving(t tikvrpc.CmdType) bool {
	switch t {
	case tikvrpc.CmdCheckTxnStatus, tikvrpc.CmdResolveLock, tikvrpc.CmdCheckSecondaryLocks,
		tikvrpc.CmdPessimisticRollback, tikvrpc.CmdCleanup, tikvrpc.CmdBatchRollback:
		return true
	}
	return false
}

// RegionErrorKind is the region error RPCFaults.RegionError injects.
type RegionErrorKind int

const (
	// AnyRegionError picks one of the others at random.
	AnyRegionError RegionErrorKind = iota
	NotLeader
	StaleCommand
)

func (k RegionErrorKind) error() *errorpb.Error {
	if k == AnyRegionError {
		k = NotLeader + RegionErrorKind(rand.IntN(2))
	}
	if k == NotLeader {
		return &errorpb.Error{Message: "injected", NotLeader: &errorpb.NotLeader{}}
	}
	return &errorpb.Error{Message: "injected", StaleCommand: &errorpb.StaleCommand{}}
}

// SendRequest forwards req to the wrapped client, with faults.
func (r *RPC) SendRequest(ctx context.Context, addr string, req *tikvrpc.Request, timeout time.Duration) (*tikvrpc.Response, error) {
	f := r.faults.Load()
	if r.down() {
		r.count("store-down")
		return nil, errTransport
	}
	if f.ResolveDelay > 0 && resolving(req.Type) {
		r.count("resolve-delay")
		t := time.NewTimer(f.ResolveDelay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
	switch p := rand.Float64(); {
	case p < f.RegionError:
		if resp, err := tikvrpc.GenRegionErrorResp(req, f.RegionKind.error()); err == nil {
			r.count("region-error")
			return resp, nil
		}
	case p < f.RegionError+f.Dropped:
		r.count("dropped")
		return nil, errTransport
	case p < f.RegionError+f.Dropped+f.LostReply:
		if _, err := r.Client.SendRequest(ctx, addr, req, timeout); err != nil {
			return nil, err
		}
		r.count("lost-reply")
		return nil, errTransport
	}
	return r.Client.SendRequest(ctx, addr, req, timeout)
}

// SendRequestAsync is SendRequest on another goroutine.
func (r *RPC) SendRequestAsync(ctx context.Context, addr string, req *tikvrpc.Request, cb async.Callback[*tikvrpc.Response]) {
	go func() {
		resp, err := r.SendRequest(ctx, addr, req, 0)
		cb.Schedule(resp, err)
	}()
}

// PD is a PD client whose timestamp oracle can be made unavailable.
type PD struct {
	pd.Client
	mu        sync.Mutex
	downUntil time.Time
	counts    sync.Map
}

// NewPD returns a hijack for tikv.NewTestTiKVStore's pdClientHijack and
// the PD client it will install, with no faults enabled.
func NewPD() (*PD, func(pd.Client) pd.Client) {
	p := &PD{}
	return p, func(c pd.Client) pd.Client { p.Client = c; return p }
}

// errPDDown is an injected TSO failure.
var errPDDown = errors.New("kvfault: injected: PD unavailable")

// Down makes every timestamp request fail for d from now.
func (p *PD) Down(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.downUntil = time.Now().Add(d)
}

// Injected reports how many times each fault was injected.
func (p *PD) Injected() map[string]int64 { return injected(&p.counts) }

func (p *PD) down() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Now().Before(p.downUntil) {
		count(&p.counts, "pd-down")
		return true
	}
	return false
}

// GetTS fails while PD is down.
func (p *PD) GetTS(ctx context.Context) (int64, int64, error) {
	if p.down() {
		return 0, 0, errPDDown
	}
	return p.Client.GetTS(ctx)
}

// GetTSAsync fails while PD is down.
func (p *PD) GetTSAsync(ctx context.Context) tso.TSFuture {
	if p.down() {
		return failedTS{}
	}
	return p.Client.GetTSAsync(ctx)
}

type failedTS struct{}

func (failedTS) Wait() (int64, int64, error) { return 0, 0, errPDDown }

func injected(m *sync.Map) map[string]int64 {
	out := map[string]int64{}
	m.Range(func(k, v any) bool {
		out[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	return out
}

func count(m *sync.Map, name string) {
	c, _ := m.LoadOrStore(name, new(atomic.Int64))
	c.(*atomic.Int64).Add(1)
}

// livenessFailpoint is client-go's failpoint for its store health check
// (internal/locate: requestLiveness).
const livenessFailpoint = "tikvclient/injectLiveness"

// ReportStoresLive makes client-go's store health check find every store
// reachable, until the returned function is called. After a transport
// error client-go asks the store's status API whether it is up, and the
// in-process mock store has none: without this, the first injected
// connection failure cuts the mock store off for good (every request then
// fails with an empty epoch-not-match), where a real TiKV that came back
// would be found alive. client-go's failpoints are process-wide, so this
// is for test binaries that use it throughout.
func ReportStoresLive() (restore func(), err error) {
	tikv.EnableFailpoints()
	if err := failpoint.Enable(livenessFailpoint, `return("reachable")`); err != nil {
		return nil, fmt.Errorf("kvfault: enable %s: %w", livenessFailpoint, err)
	}
	return func() { _ = failpoint.Disable(livenessFailpoint) }, nil
}
