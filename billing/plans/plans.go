// Package plans holds the price plans billing rates usage with, and the
// arithmetic of rating: money is an integer count of micro-units of the
// plan's currency (1 USD = 1,000,000 micros), no floats anywhere.
//
// Plans are versioned: every Put stores a new immutable version under
// B/plan/{name}/{version}; the current version is the highest. A name no
// operator has set yet has a built-in version 0 (Default), so every
// tenant plan (free, standard, large) always has a price plan.
package plans

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/tenants"
)

// MicrosPerUnit is how many micros make one unit of a currency.
const MicrosPerUnit = 1_000_000

// Plan is one version of a price plan. Prices are micros of Currency.
type Plan struct {
	Name    string `json:"name"`
	Version int    `json:"version"` // 0: the built-in default
	// Currency is an ISO 4217 code: three capital letters.
	Currency string `json:"currency"`
	// FreeRequestUnits per month, shared by standard and FIFO requests
	// (standard first).
	FreeRequestUnits int64 `json:"freeRequestUnits"`
	// StandardPerMillion and FIFOPerMillion price a million request units.
	StandardPerMillion int64 `json:"standardPerMillionMicros"`
	FIFOPerMillion     int64 `json:"fifoPerMillionMicros"`
	// HotStoragePerGBMonth and ColdStoragePerGBMonth price a GB-month
	// (2^30 bytes stored for a whole month).
	HotStoragePerGBMonth  int64 `json:"hotStoragePerGBMonthMicros"`
	ColdStoragePerGBMonth int64 `json:"coldStoragePerGBMonthMicros"`
	// EgressPerGB prices 2^30 bytes delivered.
	EgressPerGB int64 `json:"egressPerGBMicros"`
	// QueuePerMonth prices a queue existing for a whole month.
	QueuePerMonth int64     `json:"queuePerMonthMicros"`
	CreatedAt     time.Time `json:"createdAt"` // zero for version 0
}

// Default is the built-in version 0 of every plan name: SQS's prices
// (1M free request units a month, $0.40 and $0.50 per million standard
// and FIFO request units, $0.09 per GB out), and Sluice's own storage
// prices ($0.10 per GB-month hot, $0.023 cold); queues are free.
func Default(name string) Plan {
	return Plan{
		Name: name, Currency: "USD",
		FreeRequestUnits:      1_000_000,
		StandardPerMillion:    400_000,
		FIFOPerMillion:        500_000,
		HotStoragePerGBMonth:  100_000,
		ColdStoragePerGBMonth: 23_000,
		EgressPerGB:           90_000,
	}
}

// Names lists the price plan names: the tenant plans.
func Names() []string {
	var out []string
	for _, p := range tenants.Plans() {
		out = append(out, string(p))
	}
	return out
}

var (
	// ErrUnknownPlan: the name is no tenant plan, or the version does not
	// exist.
	ErrUnknownPlan = errors.New("plans: no such price plan")
	currencyRe     = regexp.MustCompile(`^[A-Z]{3}$`)
)

// InvalidError is a plan that fails validation.
type InvalidError struct{ Field, Reason string }

func (e *InvalidError) Error() string { return "plans: invalid " + e.Field + ": " + e.Reason }

// Validate checks the currency's form and that no price or free amount is
// negative.
func (p Plan) Validate() error {
	if !currencyRe.MatchString(p.Currency) {
		return &InvalidError{"currency", "want an ISO 4217 code such as USD"}
	}
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"freeRequestUnits", p.FreeRequestUnits}, {"standardPerMillionMicros", p.StandardPerMillion},
		{"fifoPerMillionMicros", p.FIFOPerMillion}, {"hotStoragePerGBMonthMicros", p.HotStoragePerGBMonth},
		{"coldStoragePerGBMonthMicros", p.ColdStoragePerGBMonth}, {"egressPerGBMicros", p.EgressPerGB},
		{"queuePerMonthMicros", p.QueuePerMonth},
	} {
		if f.v < 0 {
			return &InvalidError{f.name, "must not be negative"}
		}
	}
	return nil
}

// Store keeps the versions of the price plans in the kv store.
type Store struct {
	store kv.Store
	clock func() time.Time
}

// NewStore returns the plans kept in store; clock may be nil (time.Now).
func NewStore(store kv.Store, clock func() time.Time) *Store {
	if clock == nil {
		clock = time.Now
	}
	return &Store{store: store, clock: clock}
}

var planPrefix = []byte("B/plan/")

func namePrefix(name string) []byte { return append(append([]byte(nil), planPrefix...), name+"/"...) }

// versionKey: versions are zero-padded so they sort by number.
func versionKey(name string, version int) []byte {
	return fmt.Appendf(namePrefix(name), "%010d", version)
}

func known(name string) bool { return slices.Contains(Names(), name) }

// Current returns the current version of the plan name.
func (s *Store) Current(ctx context.Context, name string) (Plan, error) {
	if !known(name) {
		return Plan{}, ErrUnknownPlan
	}
	var p Plan
	err := s.store.View(ctx, func(r kv.Reader) error {
		var err error
		p, err = current(ctx, r, name)
		return err
	})
	return p, err
}

func current(ctx context.Context, r kv.Reader, name string) (Plan, error) {
	last, err := r.ReverseScan(ctx, namePrefix(name), kv.PrefixEnd(namePrefix(name)), 1)
	if err != nil {
		return Plan{}, fmt.Errorf("read price plan %s: %w", name, err)
	}
	if len(last) == 0 {
		return Default(name), nil
	}
	return decode(last[0].Value)
}

func decode(raw []byte) (Plan, error) {
	var p Plan
	if err := json.Unmarshal(raw, &p); err != nil {
		return Plan{}, fmt.Errorf("decode price plan: %w", err)
	}
	return p, nil
}

// Version returns version v of the plan name (0: the built-in default).
func (s *Store) Version(ctx context.Context, name string, v int) (Plan, error) {
	if !known(name) || v < 0 {
		return Plan{}, ErrUnknownPlan
	}
	if v == 0 {
		return Default(name), nil
	}
	var p Plan
	err := s.store.View(ctx, func(r kv.Reader) error {
		raw, err := r.Get(ctx, versionKey(name, v))
		if errors.Is(err, kv.ErrNotFound) {
			return ErrUnknownPlan
		}
		if err != nil {
			return fmt.Errorf("read price plan %s version %d: %w", name, v, err)
		}
		p, err = decode(raw)
		return err
	})
	return p, err
}

// List returns the current version of every plan, by name.
func (s *Store) List(ctx context.Context) ([]Plan, error) {
	var out []Plan
	err := s.store.View(ctx, func(r kv.Reader) error {
		out = out[:0]
		for _, name := range Names() {
			p, err := current(ctx, r, name)
			if err != nil {
				return err
			}
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

// Put stores p's prices as the next version of the plan p.Name and
// returns it; Name's and CreatedAt's values are the store's.
func (s *Store) Put(ctx context.Context, p Plan) (Plan, error) {
	if !known(p.Name) {
		return Plan{}, ErrUnknownPlan
	}
	if err := p.Validate(); err != nil {
		return Plan{}, err
	}
	var out Plan
	err := s.store.Update(ctx, func(tx kv.Txn) error {
		cur, err := current(ctx, tx, p.Name)
		if err != nil {
			return err
		}
		out = p
		out.Version = cur.Version + 1
		out.CreatedAt = s.clock().UTC()
		raw, err := json.Marshal(out)
		if err != nil {
			return err
		}
		return tx.Set(versionKey(p.Name, out.Version), raw)
	})
	if err != nil {
		return Plan{}, err
	}
	return out, nil
}

// ParseVersion parses a version number as the routes take it.
func ParseVersion(s string) (int, error) {
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 {
		return 0, ErrUnknownPlan
	}
	return v, nil
}
