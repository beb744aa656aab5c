package tenants

import (
	"errors"
	"fmt"
	"time"

	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/tenants/seal"
)

// Defaults for Options.
const (
	DefaultKeyCacheTTL  = 2 * time.Second
	DefaultKeyCacheSize = 10_000
)

// Options tunes a Catalog; the zero value is the defaults.
type Options struct {
	// Clock returns the current time; time.Now when nil.
	Clock func() time.Time
	// KeyCacheTTL is how long Resolve and CheckToken trust what they read,
	// and so how long a suspended tenant, disabled key, revoked token or
	// deleted tenant's token may go on working on another node (changes
	// made through this Catalog apply here at once). DefaultKeyCacheTTL
	// when zero; negative turns the caches off.
	KeyCacheTTL time.Duration
	// KeyCacheSize bounds the number of access keys cached, unknown ids
	// included, and separately the number of token ids; DefaultKeyCacheSize
	// when zero or negative.
	KeyCacheSize int
}

// Catalog reads and changes tenants, access keys and revoked tokens. It is safe for
// concurrent use; several Catalogs (one per node) may share a store.
type Catalog struct {
	store  kv.Store
	sealer *seal.Sealer
	now    func() time.Time
	keys   *ttlCache[keyLookup]   // Resolve's, by access key id
	tokens *ttlCache[tokenLookup] // CheckToken's, by token id
}

// New returns a Catalog over store that seals secrets with sealer. The
// store is required; New panics without it, as a programming error. A nil
// sealer gives a catalog that reads and changes tenants but neither
// creates nor resolves access keys (ErrNoSealer): the billing role's, on a
// node that holds no master key.
func New(store kv.Store, sealer *seal.Sealer, opts Options) *Catalog {
	if store == nil {
		panic("tenants.New: store is required")
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.KeyCacheTTL == 0 {
		opts.KeyCacheTTL = DefaultKeyCacheTTL
	}
	if opts.KeyCacheSize <= 0 {
		opts.KeyCacheSize = DefaultKeyCacheSize
	}
	return &Catalog{
		store:  store,
		sealer: sealer,
		now:    opts.Clock,
		keys:   newTTLCache[keyLookup](opts.KeyCacheTTL, opts.KeyCacheSize),
		tokens: newTTLCache[tokenLookup](opts.KeyCacheTTL, opts.KeyCacheSize),
	}
}

// ErrNoSealer: the catalog was built without a sealer (no master key), so
// it cannot seal or open access-key secrets.
var ErrNoSealer = errors.New("tenants: no master key on this node to seal or open access-key secrets")

// timestamp is the time recorded in records: UTC, to the millisecond,
// without a monotonic reading, so it compares equal after a round trip.
func (c *Catalog) timestamp() time.Time {
	return c.now().UTC().Truncate(time.Millisecond)
}

// wrap adds the operation to an error from the store; the package's own
// errors, which already say what went wrong, pass unchanged.
func wrap(op string, err error) error {
	if err == nil || isOwn(err) {
		return err
	}
	return fmt.Errorf("tenants: %s: %w", op, err)
}

func isOwn(err error) bool {
	for _, own := range []error{ErrTenantNotFound, ErrTenantExists, ErrAccessKeyNotFound, ErrAccessKeyExists, ErrInvalidInput, ErrTokenRevoked, ErrTokenStale} {
		if errors.Is(err, own) {
			return true
		}
	}
	return false
}
