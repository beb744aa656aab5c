package usage

import (
	"context"
	"time"

	"github.com/sluice-mq/sluice/internal/kv"
)

// Source reads usage from a store: invoices.UsageSource over Quantities.
type Source struct {
	store kv.Store
}

// NewSource returns a Source over store.
func NewSource(store kv.Store) *Source { return &Source{store: store} }

// Quantities is Quantities in one View (one snapshot) of the store.
func (s *Source) Quantities(ctx context.Context, account string, from, to time.Time, byQueue bool) ([]Quantity, error) {
	var qs []Quantity
	err := s.store.View(ctx, func(r kv.Reader) error {
		var err error
		qs, err = Quantities(ctx, r, account, from, to, byQueue)
		return err
	})
	return qs, err
}
