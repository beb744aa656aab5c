package engine

import (
	"context"

	"github.com/sluice-mq/sluice/internal/kv"
)

// scanPage is how many keys forEachKey reads at once.
const scanPage = 200

// forEachKey hands fn every pair under prefix in key order, reading a page
// at a time in its own short read so fn may write (or delete what it was
// given) between pages.
func (e *Engine) forEachKey(ctx context.Context, prefix []byte, fn func(kv.KV) error) error {
	return e.forEachPage(ctx, prefix, func(page []kv.KV) error {
		for _, p := range page {
			if err := fn(p); err != nil {
				return err
			}
		}
		return nil
	})
}

// forEachPage is forEachKey a page at a time.
func (e *Engine) forEachPage(ctx context.Context, prefix []byte, fn func([]kv.KV) error) error {
	return kv.ForEachPage(ctx, e.store, prefix, scanPage, fn)
}
