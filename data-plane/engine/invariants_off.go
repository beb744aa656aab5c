//go:build !sluice_invariants

package engine

import (
	"context"

	"github.com/sluice-mq/sluice/internal/blob"
	"github.com/sluice-mq/sluice/internal/kv"
)

// invariantsEnabled is false without the sluice_invariants build tag: the
// checks (invariants.go) are not compiled in.
const invariantsEnabled = false

// checkInvariants does nothing without the sluice_invariants build tag.
func checkInvariants(context.Context, kv.Store, int, blob.Store) error { return nil }
