package engine

import (
	"context"
	"slices"
	"strconv"

	"github.com/sluice-mq/sluice/internal/kv"
)

// maxCountScan caps how many not-visible index entries a count reads;
// beyond it the counts are a lower bound, which "approximate" allows.
const maxCountScan = 100_000

// GetQueueAttributes returns the named attributes; "All" returns every one.
func (e *Engine) GetQueueAttributes(ctx context.Context, ref QueueRef, names []string) (map[string]string, error) {
	for _, n := range names {
		if n != AttrAll && !knownAttribute(n) {
			return nil, errorf(CodeInvalidAttributeName, "Unknown Attribute %s.", n)
		}
	}
	all := slices.Contains(names, AttrAll)
	want := func(n string) bool { return all || slices.Contains(names, n) }
	out := map[string]string{}
	err := e.store.View(ctx, func(r kv.Reader) error {
		q, err := loadQueue(ctx, r, ref)
		if err != nil {
			return err
		}
		for n, v := range q.Attributes.strings() {
			if want(n) {
				out[n] = v
			}
		}
		if want(AttrQueueArn) {
			out[AttrQueueArn] = ref.ARN()
		}
		if want(AttrCreatedTimestamp) {
			out[AttrCreatedTimestamp] = strconv.FormatInt(q.CreatedAt, 10)
		}
		if want(AttrLastModifiedTimestamp) {
			out[AttrLastModifiedTimestamp] = strconv.FormatInt(q.LastModified, 10)
		}
		if want(AttrApproximateNumberOfMessages) || want(AttrApproximateNumberOfMessagesNotVisible) || want(AttrApproximateNumberOfMessagesDelayed) {
			c, err := e.counts.read(ctx, e, r, q.did())
			if err != nil {
				return err
			}
			for n, v := range map[string]int64{
				AttrApproximateNumberOfMessages:           c.visible,
				AttrApproximateNumberOfMessagesNotVisible: c.inFlight,
				AttrApproximateNumberOfMessagesDelayed:    c.delayed,
			} {
				if want(n) {
					out[n] = strconv.FormatInt(v, 10)
				}
			}
		}
		return nil
	})
	return out, err
}

func knownAttribute(n string) bool {
	switch n {
	case AttrDelaySeconds, AttrMaximumMessageSize, AttrMessageRetentionPeriod, AttrReceiveMessageWaitTimeSeconds,
		AttrVisibilityTimeout, AttrRedrivePolicy, AttrRedriveAllowPolicy, AttrPolicy, AttrKmsMasterKeyID,
		AttrKmsDataKeyReusePeriodSeconds, AttrSqsManagedSseEnabled, AttrFifoQueue, AttrContentBasedDeduplication,
		AttrDeduplicationScope, AttrFifoThroughputLimit:
		return true
	}
	return slices.Contains(readOnlyAttrs, n)
}

type messageCounts struct{ visible, inFlight, delayed int64 }

// read counts a queue's messages: the total from every node's flushed
// count plus this node's unflushed delta, and the not-visible ones from
// the index entries that become visible later.
func (c *countDeltas) read(ctx context.Context, e *Engine, r kv.Reader, d did) (messageCounts, error) {
	stored, err := storedCount(ctx, r, d)
	if err != nil {
		return messageCounts{}, err
	}
	total := stored.plus(c.pending(d)).n
	var mc messageCounts
	now := e.clock().UnixMilli()
	for shard := range uint8(e.opts.Shards) {
		end := prefixEnd(shardPrefix(d, shard))
		kvs, err := r.Scan(ctx, indexBound(d, shard, now+1), end, maxCountScan)
		if err != nil {
			return messageCounts{}, err
		}
		for _, p := range kvs {
			kind, n, _ := parseEntryValue(p.Value)
			if kind == entryInFlight {
				mc.inFlight += n
			} else {
				mc.delayed += n
			}
		}
	}
	mc.visible = max(total-mc.inFlight-mc.delayed, 0)
	return mc, nil
}
