package queues

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/internal/kv"
)

// Catalog creates, reads, changes and deletes queue records. It holds no
// state but caches of records (cache.go, recent.go), so any number of
// catalogs (one per node, or per API) can share a store.
type Catalog struct {
	store kv.Store
	clock func() time.Time
	// recreateDelay is the QueueDeletedRecently window in seconds; 0 lets
	// a deleted queue's name be taken again at once.
	recreateDelay int64
	cache         recordCache
	// writes counts the Updates through store that have finished, and
	// recent holds records for ReadRecent (recent.go).
	writes atomic.Uint64
	recent recentRecords
}

// DefaultRecreateDelay is SQS's QueueDeletedRecently window: how long after
// deleting a queue its name cannot be taken again.
const DefaultRecreateDelay = 60 * time.Second

// Options configure a Catalog; the zero value is SQS's behaviour.
type Options struct {
	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time
	// RecreateDelay is how long after a delete a queue of the same name
	// cannot be created (QueueDeletedRecently), rounded up to whole
	// seconds. 0 means DefaultRecreateDelay; a negative value means none,
	// for test environments that delete and recreate fixtures. Every
	// node sharing a store should use the same setting.
	RecreateDelay time.Duration
}

// New returns a catalog over store with SQS's settings. clock nil means
// time.Now.
func New(store kv.Store, clock func() time.Time) *Catalog {
	return NewWithOptions(store, Options{Clock: clock})
}

// NewWithOptions returns a catalog over store.
func NewWithOptions(store kv.Store, opts Options) *Catalog {
	c := &Catalog{clock: opts.Clock}
	c.store = writeCountingStore{Store: store, writes: &c.writes}
	if c.clock == nil {
		c.clock = time.Now
	}
	switch d := opts.RecreateDelay; {
	case d == 0:
		c.recreateDelay = int64(DefaultRecreateDelay / time.Second)
	case d > 0:
		c.recreateDelay = int64((d + time.Second - 1) / time.Second)
	}
	return c
}

const maxListResults = 1000

// Get returns the queue.
func (c *Catalog) Get(ctx context.Context, ref Ref) (*Queue, error) {
	var out *Queue
	err := c.store.View(ctx, func(r kv.Reader) error {
		q, err := Load(ctx, r, ref)
		if err == nil {
			out = q.Queue(ref)
		}
		return err
	})
	return out, err
}

// List lists the account's queue names in the region that start with
// prefix, a page at a time. maxResults 0 means up to 1000; nextToken is the
// value returned by the previous page.
func (c *Catalog) List(ctx context.Context, account, region, prefix string, maxResults int, nextToken string) (names []string, next string, err error) {
	if maxResults < 0 || maxResults > maxListResults {
		return nil, "", sqserr.Errorf(sqserr.CodeInvalidParameterValue, "Value %d for parameter MaxResults is invalid. Reason: must be between 1 and %d.", maxResults, maxListResults)
	}
	limit := maxResults
	if limit == 0 {
		limit = maxListResults
	}
	base := regionPrefix(account, region)
	start := append(append([]byte(nil), base...), prefix...)
	end := kv.PrefixEnd(start)
	if nextToken != "" {
		after, err := base64.RawURLEncoding.DecodeString(nextToken)
		if err != nil || !strings.HasPrefix(string(after), prefix) {
			return nil, "", sqserr.Errorf(sqserr.CodeInvalidParameterValue, "Invalid NextToken value.")
		}
		start = append(append(append([]byte(nil), base...), after...), 0)
	}
	err = c.store.View(ctx, func(r kv.Reader) error {
		kvs, err := r.Scan(ctx, start, end, limit+1)
		if err != nil {
			return err
		}
		for i, p := range kvs {
			if i == limit {
				next = base64.RawURLEncoding.EncodeToString([]byte(names[len(names)-1]))
				break
			}
			names = append(names, string(p.Key[len(base):]))
		}
		return nil
	})
	if maxResults == 0 {
		next = "" // SQS paginates only when asked to
	}
	return names, next, err
}

// ListTags returns the queue's tags.
func (c *Catalog) ListTags(ctx context.Context, ref Ref) (map[string]string, error) {
	q, err := c.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	return q.Tags, nil
}

// ListDeadLetterSources lists the names of the account's queues in the
// region whose redrive policy targets ref.
func (c *Catalog) ListDeadLetterSources(ctx context.Context, ref Ref, maxResults int, nextToken string) (names []string, next string, err error) {
	if _, err := c.Get(ctx, ref); err != nil {
		return nil, "", err
	}
	target := ref.ARN()
	after := ""
	if nextToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(nextToken)
		if err != nil {
			return nil, "", sqserr.Errorf(sqserr.CodeInvalidParameterValue, "Invalid NextToken value.")
		}
		after = string(b)
	}
	limit := maxResults
	if limit <= 0 || limit > maxListResults {
		limit = maxListResults
	}
	base := regionPrefix(ref.Account, ref.Region)
	start := base
	if after != "" {
		start = append(append(append([]byte(nil), base...), after...), 0)
	}
	err = c.store.View(ctx, func(r kv.Reader) error {
		kvs, err := r.Scan(ctx, start, kv.PrefixEnd(base), 0)
		if err != nil {
			return err
		}
		for _, p := range kvs {
			var q Record
			if json.Unmarshal(p.Value, &q) != nil || q.Attributes.RedrivePolicy == nil || q.Attributes.RedrivePolicy.DeadLetterTargetArn != target {
				continue
			}
			if len(names) == limit {
				next = base64.RawURLEncoding.EncodeToString([]byte(names[len(names)-1]))
				return nil
			}
			names = append(names, string(p.Key[len(base):]))
		}
		return nil
	})
	if maxResults == 0 {
		next = ""
	}
	return names, next, err
}

// scanPage is how many records forEachPage reads at once.
const scanPage = 200

// forEachPage hands fn the pairs under prefix a page at a time, each page
// read in its own short read so fn may write between pages.
func (c *Catalog) forEachPage(ctx context.Context, prefix []byte, fn func([]kv.KV) error) error {
	return kv.ForEachPage(ctx, c.store, prefix, scanPage, fn)
}
