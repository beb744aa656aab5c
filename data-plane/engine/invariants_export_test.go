package engine

import "context"

// InvariantsEnabled reports whether the invariant checks are compiled in
// (the sluice_invariants build tag).
const InvariantsEnabled = invariantsEnabled

// CheckInvariants flushes e and runs the invariant checks (invariants.go)
// over its store, its blob store included. Every other engine on the store
// must have flushed and stopped. Without the sluice_invariants tag it
// returns nil.
func CheckInvariants(ctx context.Context, e *Engine) error {
	if !invariantsEnabled {
		return nil
	}
	if err := e.Flush(ctx); err != nil {
		return err
	}
	return checkInvariants(ctx, e.store, e.opts.Shards, e.opts.Tiering.Blobs)
}
