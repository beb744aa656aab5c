package queue

import "sync"

// requestPool runs calls on n long-lived goroutines, so at most n run at
// once and run blocks while all are busy. A goroutine per request would
// start on a small stack and grow it through the SDK's deep middleware
// chain on every call: runtime.copystack took a fifth of the client's CPU
// in e2e/bench's TestSDKBenchAgainstRaw. Long-lived goroutines keep the
// stack they grew once.
type requestPool struct {
	calls chan func()
	wg    sync.WaitGroup
}

func newRequestPool(n int) *requestPool {
	p := &requestPool{calls: make(chan func())}
	for range n {
		p.wg.Go(func() {
			for call := range p.calls {
				call()
			}
		})
	}
	return p
}

// run hands call to an idle goroutine, waiting for one to be free.
func (p *requestPool) run(call func()) { p.calls <- call }

// close waits for every call handed over to return; run must not be
// called after it.
func (p *requestPool) close() {
	close(p.calls)
	p.wg.Wait()
}
