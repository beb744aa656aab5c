package engine

import (
	"context"
	"sync"
)

// maxPrefetches bounds the segment fetches running in the background at
// once: a slow blob store must not gather an unbounded crowd of them.
const maxPrefetches = 4

// prefetcher fetches whole segments in the background, each at most once
// at a time, at most maxPrefetches at once; a request beyond that is
// dropped (the next receive that gives up on the segment asks again).
type prefetcher struct {
	fetch  func(ctx context.Context, key string)
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	running map[string]bool
}

func newPrefetcher(fetch func(ctx context.Context, key string)) *prefetcher {
	ctx, cancel := context.WithCancel(context.Background())
	return &prefetcher{fetch: fetch, ctx: ctx, cancel: cancel, running: map[string]bool{}}
}

// start fetches key in the background unless it is being fetched already
// or maxPrefetches are running.
func (p *prefetcher) start(key string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ctx.Err() != nil || p.running[key] || len(p.running) >= maxPrefetches {
		return
	}
	p.running[key] = true
	p.wg.Go(func() {
		defer func() {
			p.mu.Lock()
			delete(p.running, key)
			p.mu.Unlock()
		}()
		p.fetch(p.ctx, key)
	})
}

// close cancels the fetches running and waits for them.
func (p *prefetcher) close() {
	p.mu.Lock()
	p.cancel()
	p.mu.Unlock()
	p.wg.Wait()
}
