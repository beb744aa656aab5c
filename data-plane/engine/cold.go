package engine

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluice-mq/sluice/data-plane/msgattr"
	"github.com/sluice-mq/sluice/data-plane/tiering"
	"github.com/sluice-mq/sluice/data-plane/tiering/segment"
	"github.com/sluice-mq/sluice/internal/blob"
)

// The cold tier. A cold message's record (format 4) keeps only what
// receives, deletes and FIFO groups change or read; its body, attributes,
// MD5 digest, sender, dead-letter source and deduplication id live in one
// frame of a segment on the blob store, written once by the shard's tierer
// (tier.go) and never changed. A receive reads the frame through a cache
// of whole segments; nothing is ever returned whose CRC does not match.

// segRef names a segment: the index shard whose tierer wrote it, and an id
// unique in that shard (unix ms << 16 | random bits).
type segRef struct {
	shard uint8
	id    uint64
}

// coldRef is where a cold message's frame is, and its size as SQS counts
// it, for the stored-bytes counts.
type coldRef struct {
	seg   segRef
	frame segment.Ref
	size  int64
}

// blobKey is the segment's object key: per data range, so a purged or
// deleted queue's segments go with a prefix.
func segmentBlobKey(d did, s segRef) string {
	return segmentBlobPrefix(d) + fmt.Sprintf("%02x/%016x", s.shard, s.id)
}

func segmentBlobPrefix(d did) string { return "segments/" + hex.EncodeToString(d[:]) + "/" }

func shardBlobPrefix(d did, shard uint8) string {
	return segmentBlobPrefix(d) + fmt.Sprintf("%02x/", shard)
}

// parseSegmentBlobKey reads the segment id back from an object key of the
// shard's prefix.
func parseSegmentBlobKey(key, prefix string, shard uint8) (segRef, bool) {
	if len(key) != len(prefix)+16 || key[:len(prefix)] != prefix {
		return segRef{}, false
	}
	id, err := strconv.ParseUint(key[len(prefix):], 16, 64)
	return segRef{shard: shard, id: id}, err == nil
}

func (m *messageRecord) encodeCold() []byte {
	out := make([]byte, 0, 48+len(m.Group))
	out = m.appendState(append(out, recordFormatCold))
	out = appendString(out, m.Group)
	out = binary.AppendUvarint(out, m.Seq)
	out = append(out, m.Cold.seg.shard)
	out = binary.BigEndian.AppendUint64(out, m.Cold.seg.id)
	out = binary.AppendUvarint(out, uint64(m.Cold.frame.Offset))
	out = binary.AppendUvarint(out, uint64(m.Cold.frame.Length))
	return binary.AppendUvarint(out, uint64(m.Cold.size))
}

func decodeColdRecord(b []byte) (*messageRecord, error) {
	d := recordDecoder{b: b}
	m := d.state()
	m.Group, m.Seq = d.string(), d.uvarint()
	ref := &coldRef{}
	ref.seg.shard = d.byte()
	if len(d.b) < 8 {
		return nil, errShortRecord
	}
	ref.seg.id = binary.BigEndian.Uint64(d.b)
	d.b = d.b[8:]
	ref.frame.Offset, ref.frame.Length, ref.size = int64(d.uvarint()), int64(d.uvarint()), int64(d.uvarint())
	if d.err != nil {
		return nil, d.err
	}
	if len(d.b) != 0 {
		return nil, errors.New("message record: trailing bytes after a cold record")
	}
	m.Cold = ref
	return m, nil
}

// coldPayloadFormat versions the frame payload: what a cold record leaves
// out, then the body.
//
//	1 | senderID | md5Body | dlqSource | dedupID (length-prefixed) | attrs | sysAttrs | body (the rest)
const coldPayloadFormat = 1

func (m *messageRecord) coldPayload() []byte {
	out := make([]byte, 0, 64+len(m.SenderID)+len(m.MD5Body)+len(m.DLQSource)+len(m.DedupID)+msgattr.Size(m.Attrs)+msgattr.Size(m.SysAttrs)+len(m.Body))
	out = append(out, coldPayloadFormat)
	out = appendString(out, m.SenderID)
	out = appendString(out, m.MD5Body)
	out = appendString(out, m.DLQSource)
	out = appendString(out, m.DedupID)
	out = appendAttrs(out, m.Attrs)
	out = appendAttrs(out, m.SysAttrs)
	return append(out, m.Body...)
}

func (m *messageRecord) fillFromPayload(p []byte) error {
	if len(p) == 0 || p[0] != coldPayloadFormat {
		return fmt.Errorf("%w: unknown payload format", segment.ErrCorrupt)
	}
	d := recordDecoder{b: p[1:]}
	m.SenderID, m.MD5Body, m.DLQSource, m.DedupID = d.string(), d.string(), d.string(), d.string()
	m.Attrs, m.SysAttrs = d.attrs(), d.attrs()
	if d.err != nil {
		return fmt.Errorf("%w: %v", segment.ErrCorrupt, d.err)
	}
	m.Body = d.b
	return nil
}

// TieringOptions configures the cold tier. A nil Blobs turns it off: every
// body stays in the store.
type TieringOptions struct {
	Blobs blob.Store
	// Interval is how often the node looks for bodies to roll into
	// segments and for segments to collect (default 10 s).
	Interval time.Duration
	// Lease is how long a node owns a queue shard's tiering after its last
	// renewal (default 30 s); another node takes over once it lapses.
	Lease time.Duration
	// SegmentBytes and SegmentRecords bound one segment (defaults 4 MiB
	// and 4096 messages).
	SegmentBytes   int
	SegmentRecords int
	// CacheBytes bounds the segments this node keeps in memory for cold
	// reads (default 64 MiB).
	CacheBytes int64
	// DeleteGrace is how long a dead segment's object outlives its record,
	// for readers that fetched the record just before (default 1 min).
	DeleteGrace time.Duration
	// OrphanAge is how old an object without a segment record must be
	// before the sweeper removes it (default 2 min): an upload whose
	// commit never came.
	OrphanAge time.Duration
	// FetchTimeout bounds one read from the blob store (default 5 s).
	FetchTimeout time.Duration

	// afterUpload, for tests, runs between a segment's upload and its
	// commit; an error stands for a crash there.
	afterUpload func(key string) error
}

func (o *TieringOptions) setDefaults() {
	if o.Interval <= 0 {
		o.Interval = 10 * time.Second
	}
	if o.Lease <= 0 {
		o.Lease = 30 * time.Second
	}
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = 4 << 20
	}
	if o.SegmentRecords <= 0 {
		o.SegmentRecords = 4096
	}
	if o.CacheBytes <= 0 {
		o.CacheBytes = 64 << 20
	}
	if o.DeleteGrace <= 0 {
		o.DeleteGrace = time.Minute
	}
	if o.OrphanAge <= 0 {
		o.OrphanAge = 2 * time.Minute
	}
	if o.FetchTimeout <= 0 {
		o.FetchTimeout = 5 * time.Second
	}
}

// coldTier is one node's access to segments.
type coldTier struct {
	opts   TieringOptions
	reader *tiering.Reader
	codec  *segment.Codec

	corrupt atomic.Int64 // frames that failed their check
	failed  atomic.Int64 // reads that failed otherwise

	mu        sync.Mutex
	downUntil time.Time // after a failed read, uncached reads fail fast
	slowUntil time.Time // after a read a receive gave up on, the same

	prefetch *prefetcher     // whole segments a receive gave up waiting for
	suspects suspectSegments // segments whose last read failed on their own account
}

// backoff is how long uncached reads fail fast after one failed: a blob
// store that is down must not hold every receive for FetchTimeout.
const backoff = 2 * time.Second

func newColdTier(opts TieringOptions) (*coldTier, error) {
	if opts.Blobs == nil {
		return nil, nil
	}
	opts.setDefaults()
	codec, err := segment.NewCodec()
	if err != nil {
		return nil, fmt.Errorf("cold tier: %w", err)
	}
	c := &coldTier{
		opts:   opts,
		reader: tiering.NewReader(opts.Blobs, tiering.ReaderOptions{CacheBytes: opts.CacheBytes}),
		codec:  codec,
	}
	c.prefetch = newPrefetcher(c.fetchWhole)
	return c, nil
}

func (c *coldTier) close() {
	if c != nil {
		c.prefetch.close()
		c.codec.Close()
	}
}

var (
	errColdUnavailable = errors.New("cold tier: blob store unavailable, backing off")
	errNoColdTier      = errors.New("cold message but no blob store configured")
)

// hydrate fills a cold record's body and metadata in from its segment,
// waiting on the blob store: only for callers outside a store transaction
// (in one, hydrateIn). The record stays cold: writing it back keeps the
// reference.
func (e *Engine) hydrate(ctx context.Context, d did, id msgID, rec *messageRecord) error {
	if rec.Cold == nil || rec.Body != nil {
		return nil
	}
	if e.cold == nil {
		return errNoColdTier
	}
	key := segmentBlobKey(d, rec.Cold.seg)
	payload, err := e.readFrame(ctx, key, id, rec.Cold.frame)
	if err != nil {
		return fmt.Errorf("read cold message %s: %w", formatMessageID(id), err)
	}
	return e.fill(rec, key, id, payload, time.Now())
}

// fill fills rec in from its frame's checked payload. A payload that does
// not parse is a corrupt frame, counted and remembered as one.
func (e *Engine) fill(rec *messageRecord, key string, id msgID, payload []byte, now time.Time) error {
	if err := rec.fillFromPayload(payload); err != nil {
		e.frameCorrupt(key, id, rec.Cold.frame, err, now)
		return fmt.Errorf("read cold message %s: %w", formatMessageID(id), err)
	}
	return nil
}

// readFrame reads, checks and decodes message id's frame at ref of the
// segment under key, waiting on the blob store (at most FetchTimeout), and
// learns from a failure: a corrupt frame or missing segment is suspect for
// the backoff, a failed store down for it, a read the caller gave up on
// slow for it.
func (e *Engine) readFrame(ctx context.Context, key string, id msgID, ref segment.Ref) ([]byte, error) {
	c := e.cold
	if err := ctx.Err(); err != nil {
		// The caller's budget was spent before this read began: that says
		// nothing of the blob store.
		return nil, err
	}
	now := time.Now()
	if err := c.recheck(key, ref.Offset, now); err != nil {
		return nil, err
	}
	down, slow := c.backingOff(now)
	if (down || slow) && !c.reader.Cached(key) {
		if !down {
			c.prefetch.start(key) // slow, not down: it comes in the background
		}
		return nil, errColdUnavailable
	}
	fctx, cancel := context.WithTimeout(ctx, c.opts.FetchTimeout)
	defer cancel()
	frame, err := c.reader.Frame(fctx, key, ref)
	if err == nil {
		return e.decodeFrame(key, id, ref, frame, now)
	}
	switch {
	case errors.Is(err, segment.ErrCorrupt):
		e.frameCorrupt(key, id, ref, err, now)
	case errors.Is(err, blob.ErrNotFound):
		// One object gone is not the blob store down: other segments
		// are still read.
		c.failed.Add(1)
		if c.suspects.missing(key, err, now) {
			e.log.Error("cold message's segment not found; left in place, read again after the backoff",
				"segment", key, "message", formatMessageID(id), "backoff", backoff, "err", err)
		}
	case ctx.Err() == nil:
		c.readFailed()
		e.log.Warn("cold read failed", "segment", key, "message", formatMessageID(id), "err", err)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		// The caller's time ran out (a receive's cold-read budget): the
		// blob store is slow, or down and not yet known to be. Uncached
		// reads fail fast for the backoff, so later receives do not wait
		// out their budgets too, and the segment is fetched in the
		// background, so a later receive finds it cached.
		c.mu.Lock()
		c.slowUntil = time.Now().Add(backoff)
		c.mu.Unlock()
		c.prefetch.start(key)
	}
	return nil, err
}

// decodeFrame checks and decodes message id's frame, read at ref of the
// segment under key; one that fails its check is reported (frameCorrupt).
func (e *Engine) decodeFrame(key string, id msgID, ref segment.Ref, frame []byte, now time.Time) ([]byte, error) {
	payload, err := e.cold.codec.DecodeFrame(id, frame)
	if err != nil {
		e.frameCorrupt(key, id, ref, err, now)
	}
	return payload, err
}

// frameCorrupt counts and remembers a frame that failed its check. The
// segment's copy stays cached for the backoff, so its other frames cost no
// request each; then it is read again, in case the object was restored
// (cold_suspects.go).
func (e *Engine) frameCorrupt(key string, id msgID, ref segment.Ref, err error, now time.Time) {
	e.cold.corrupt.Add(1)
	if e.cold.suspects.corrupt(key, ref.Offset, now) {
		e.log.Error("cold message failed its check; left in place, its segment read again after the backoff",
			"segment", key, "message", formatMessageID(id), "backoff", backoff, "err", err)
	}
}

// backingOff reports whether uncached reads fail fast now: after a failed
// read (down) or one a caller gave up on (slow).
func (c *coldTier) backingOff(now time.Time) (down, slow bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return now.Before(c.downUntil), now.Before(c.slowUntil)
}

// recheck comes before a read of the frame at offset (noFrame: the whole
// segment) of the segment under key: it fails at once for a missing
// suspect or a frame that failed its check within the backoff, and
// forgets a suspect's cached copy once its backoff has passed, so the read
// fetches the object again.
func (c *coldTier) recheck(key string, offset int64, now time.Time) error {
	bad, reread, missing := c.suspects.check(key, offset, now)
	switch {
	case reread:
		c.reader.Forget(key)
	case bad:
		c.corrupt.Add(1)
		return fmt.Errorf("frame failed its check within the last %s: %w", backoff, segment.ErrCorrupt)
	}
	return missing
}

// readFailed counts a failed read and makes uncached reads fail fast for
// the backoff.
func (c *coldTier) readFailed() {
	c.failed.Add(1)
	c.mu.Lock()
	c.downUntil = time.Now().Add(backoff)
	c.mu.Unlock()
}

// fetchWhole reads the segment under key into the cache, for the
// prefetcher.
func (c *coldTier) fetchWhole(ctx context.Context, key string) {
	ctx, cancel := context.WithTimeout(ctx, 4*c.opts.FetchTimeout)
	defer cancel()
	_, err := c.reader.Segment(ctx, key)
	switch {
	case err == nil || ctx.Err() != nil:
	case errors.Is(err, blob.ErrNotFound):
		c.failed.Add(1)
		c.suspects.missing(key, err, time.Now())
	default:
		c.readFailed()
	}
}

// ColdStats are this node's cold-read counters.
type ColdStats struct {
	// Corrupt counts frames that failed their CRC or id check: those
	// messages were not returned, and stay where they are.
	Corrupt int64
	// Failed counts reads that failed otherwise (blob store unreachable).
	Failed int64
	Cache  tiering.ReaderStats
}

// ColdStats returns the cold-read counters (zero without a cold tier).
func (e *Engine) ColdStats() ColdStats {
	if e.cold == nil {
		return ColdStats{}
	}
	return ColdStats{Corrupt: e.cold.corrupt.Load(), Failed: e.cold.failed.Load(), Cache: e.cold.reader.Stats()}
}
