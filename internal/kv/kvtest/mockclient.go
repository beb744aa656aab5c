package kvtest

import (
	"context"
	"time"

	"github.com/pingcap/kvproto/pkg/kvrpcpb"
	clientkv "github.com/tikv/client-go/v2/kv"
	clienttikv "github.com/tikv/client-go/v2/tikv"
	"github.com/tikv/client-go/v2/tikvrpc"
)

// noWaitClient corrects one way client-go's mock store differs from TiKV.
// TiKV's deadlock detector only hears of lock requests that wait; the mock
// records a wait-for edge for a no-wait one too (the kv driver's LockSkip),
// and forgets a transaction's edges only when it commits or rolls back by
// BatchRollback: not after a pessimistic rollback, nor when it ends with
// nothing to write. The edges pile up, and the mock walks them on every
// lock conflict without a visited set, under its store-wide lock: with
// eight receivers claiming beside a compaction, one lock request spent
// minutes there and every other request waited. After a no-wait lock
// request that met a lock, this client sends the transaction an empty
// BatchRollback, which rolls back no key and only drops its edges: it
// never waited, so it is no one's deadlock.
type noWaitClient struct {
	clienttikv.Client
}

func (c noWaitClient) SendRequest(ctx context.Context, addr string, req *tikvrpc.Request, timeout time.Duration) (*tikvrpc.Response, error) {
	resp, err := c.Client.SendRequest(ctx, addr, req, timeout)
	if err != nil || req.Type != tikvrpc.CmdPessimisticLock {
		return resp, err
	}
	lock := req.PessimisticLock()
	if lock.WaitTimeout != clientkv.LockNoWait {
		return resp, err
	}
	if r, ok := resp.Resp.(*kvrpcpb.PessimisticLockResponse); ok && len(r.Errors) > 0 {
		forget := tikvrpc.NewRequest(tikvrpc.CmdBatchRollback, &kvrpcpb.BatchRollbackRequest{StartVersion: lock.StartVersion}, req.Context)
		_, _ = c.Client.SendRequest(ctx, addr, forget, timeout) // best effort: at worst the edges stay
	}
	return resp, err
}
