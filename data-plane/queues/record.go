package queues

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/internal/kv"
)

// DataIDLen is the length of a data id.
const DataIDLen = 16

// DataID names the data range of a queue's messages (Q/{did}/...). A
// queue's messages live under its data id, not its name: purge and delete
// switch to a fresh data id in O(1) and the engine's sweeper removes the
// old range, so a recreated queue never sees old data.
type DataID [DataIDLen]byte

func newDataID() DataID {
	var d DataID
	_, _ = rand.Read(d[:])
	return d
}

// Queue is a queue as callers see it.
type Queue struct {
	Ref
	Attributes   Attributes
	Tags         map[string]string
	CreatedAt    int64 // unix seconds
	LastModified int64 // unix seconds
	Tiering      TieringSettings
}

// Record is what the store holds under the queue key. Its JSON form is
// persisted data: fields may be added, never renamed.
type Record struct {
	DataID       []byte            `json:"did"`
	Attributes   Attributes        `json:"attrs"`
	Tags         map[string]string `json:"tags,omitempty"`
	CreatedAt    int64             `json:"created"`
	LastModified int64             `json:"modified"`
	PurgedAt     int64             `json:"purged,omitempty"` // unix ms
	// Tiering is the queue's cold-tier settings; nil means the defaults.
	Tiering *TieringSettings `json:"tier,omitempty"`
}

// DID returns the record's data id.
func (r *Record) DID() DataID {
	var d DataID
	copy(d[:], r.DataID)
	return d
}

// Queue returns the queue the record describes.
func (r *Record) Queue(ref Ref) *Queue {
	return &Queue{Ref: ref, Attributes: r.Attributes, Tags: maps.Clone(r.Tags), CreatedAt: r.CreatedAt, LastModified: r.LastModified, Tiering: r.TieringOrDefault()}
}

// Decode decodes a stored queue record.
func Decode(v []byte) (*Record, error) {
	var q Record
	if err := json.Unmarshal(v, &q); err != nil {
		return nil, err
	}
	return &q, nil
}

// Load reads the queue's record in r: QueueDoesNotExist when there is
// none. The record is the caller's to change and save.
func Load(ctx context.Context, r kv.Reader, ref Ref) (*Record, error) {
	v, err := r.Get(ctx, recordKey(ref))
	if errors.Is(err, kv.ErrNotFound) {
		return nil, sqserr.NoQueue()
	}
	if err != nil {
		return nil, fmt.Errorf("load queue %s: %w", ref.Name, err)
	}
	q, err := Decode(v)
	if err != nil {
		return nil, fmt.Errorf("decode queue %s: %w", ref.Name, err)
	}
	return q, nil
}

func save(tx kv.Txn, ref Ref, q *Record) error {
	b, err := json.Marshal(q)
	if err != nil {
		return fmt.Errorf("encode queue %s: %w", ref.Name, err)
	}
	return tx.Set(recordKey(ref), b)
}
