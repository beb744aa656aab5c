package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/sluice-mq/sluice/internal/kv"
)

// tierLease is a shard's lease record: its holder, until when, where the
// next pass resumes its scan, and when the holder last swept orphans.
type tierLease struct {
	node     string
	expires  int64 // unix ms
	orphanAt int64 // unix ms
	resume   []byte
}

func (l *tierLease) encode() []byte {
	b := appendString(nil, l.node)
	b = binary.AppendVarint(b, l.expires)
	b = binary.AppendVarint(b, l.orphanAt)
	return append(b, l.resume...)
}

func decodeLease(v []byte) (*tierLease, error) {
	d := recordDecoder{b: v}
	l := &tierLease{node: d.string(), expires: d.varint(), orphanAt: d.varint()}
	if d.err != nil {
		return nil, fmt.Errorf("tiering lease: %w", d.err)
	}
	l.resume = bytes.Clone(d.b)
	return l, nil
}

func readLease(ctx context.Context, r kv.Reader, d did, shard uint8) (*tierLease, error) {
	v, err := r.Get(ctx, leaseKey(d, shard))
	if isNotFound(err) {
		return &tierLease{}, nil
	}
	if err != nil {
		return nil, err
	}
	return decodeLease(v)
}

var errLeaseLost = errors.New("tiering: shard lease lost to another node")

// tierLeases takes, renews and saves this node's tiering leases, one per
// queue shard: store is the engine's, node its NodeID and term its
// Tiering.Lease. A lease is never released: a node that stops lets it
// lapse, and the next holder starts its scan from the front.
type tierLeases struct {
	store kv.Store
	clock func() time.Time
	node  string
	term  time.Duration
}

// take takes or renews the shard's lease; nil means another node holds
// it.
func (t tierLeases) take(ctx context.Context, d did, shard uint8) (*tierLease, error) {
	var got *tierLease
	err := t.store.Update(ctx, func(tx kv.Txn) error {
		got = nil
		l, err := readLease(ctx, tx, d, shard)
		if err != nil {
			return err
		}
		now := t.clock().UnixMilli()
		if l.node != t.node {
			if l.node != "" && l.expires > now {
				return nil
			}
			// A new holder starts from the front: whatever the last one
			// skipped or left unfinished is found again.
			l = &tierLease{node: t.node}
		}
		l.expires = now + t.term.Milliseconds()
		got = l
		return tx.Set(leaseKey(d, shard), l.encode())
	})
	return got, err
}

// renew, inside a transaction that changes the shard's messages or
// segments, checks that this node still holds the lease and writes it
// back: a node that took it over meanwhile makes the transaction conflict.
func (t tierLeases) renew(ctx context.Context, tx kv.Txn, d did, shard uint8, l *tierLease) error {
	cur, err := readLease(ctx, tx, d, shard)
	if err != nil {
		return err
	}
	if cur.node != t.node {
		return errLeaseLost
	}
	l.expires = t.clock().UnixMilli() + t.term.Milliseconds()
	return tx.Set(leaseKey(d, shard), l.encode())
}

// save writes the lease back in a transaction of its own (the scan's
// resume point, the orphan sweep's time); a lease lost meanwhile is not
// an error.
func (t tierLeases) save(ctx context.Context, d did, shard uint8, l *tierLease) error {
	err := t.store.Update(ctx, func(tx kv.Txn) error { return t.renew(ctx, tx, d, shard, l) })
	if errors.Is(err, errLeaseLost) {
		return nil
	}
	return err
}
