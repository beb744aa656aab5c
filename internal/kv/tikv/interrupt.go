package tikv

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	clientkv "github.com/tikv/client-go/v2/kv"
)

// interruptOnDone returns client-go variables whose Killed flag rises when
// ctx ends, and release, which detaches the flag from ctx and lowers it.
// client-go's scanner backs off under a context.Background of its own, on
// a budget of its own: with TiKV unreachable, a scan under a 1 s deadline
// returned after 40 s. Every backoff checks the flag, so the read stops at
// its next backoff once the call's context has ended.
//
// client-go also checks the flag before sending any request, the
// rollback of a transaction's locks and a failed commit's cleanup
// included, and those read the same variables: a transaction releases the
// flag before it rolls back or commits, or a call whose client gave up
// would leave its pessimistic locks for their 20 s TTL. The variables
// themselves are never swapped (client-go's background work reads them);
// the flag is an atomic.
func interruptOnDone(ctx context.Context) (vars *clientkv.Variables, release func()) {
	killed := new(uint32)
	vars = clientkv.NewVariables(killed)
	// The mutex orders raising against release: stop does not wait for a
	// raise already running, which could otherwise land after the lowering.
	var (
		mu       sync.Mutex
		released bool
	)
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if !released {
			atomic.StoreUint32(killed, 1)
		}
	})
	return vars, func() {
		stop()
		mu.Lock()
		defer mu.Unlock()
		released = true
		atomic.StoreUint32(killed, 0)
	}
}

// interrupted adds ctx's end to err when ctx ended under the call: the
// interrupted read reports the last error client-go met (a connection
// reset, a region error), and a caller should see that it ran out of time.
func interrupted(ctx context.Context, err error) error {
	if err == nil || ctx.Err() == nil || errors.Is(err, ctx.Err()) {
		return err
	}
	return fmt.Errorf("%w (the call's context ended: %w)", err, ctx.Err())
}
