package engine

import (
	"errors"

	"github.com/sluice-mq/sluice/data-plane/msgattr"
	"github.com/sluice-mq/sluice/internal/kv"
)

// Index entry values say why an entry is not yet visible, for the
// approximate counts: a delayed send, or a message in flight.
const (
	entrySent     byte = 's'
	entryDelayed  byte = 'd'
	entryInFlight byte = 'i'
)

// messageRecord is a stored message. Its index entry is at (Shard,
// VisibleAt); every change to the record moves or deletes that entry, which
// is what lets a receiver trust a record whose entry it still finds.
type messageRecord struct {
	SentAt       int64              `json:"s"` // unix ms
	SenderID     string             `json:"u,omitempty"`
	Attrs        msgattr.Attributes `json:"a,omitempty"`
	SysAttrs     msgattr.Attributes `json:"y,omitempty"`
	MD5Body      string             `json:"mb"`
	ReceiveCount int                `json:"rc,omitempty"`
	FirstReceive int64              `json:"fr,omitempty"` // unix ms
	Gen          uint32             `json:"g,omitempty"`  // bumped by each receive
	Shard        uint8              `json:"sh"`
	VisibleAt    int64              `json:"v"` // unix ms
	DLQSource    string             `json:"dq,omitempty"`
	// FIFO queues (and MessageGroupId on standard queues): the group,
	// the deduplication id and the sequence number in the group.
	Group   string `json:"-"`
	DedupID string `json:"-"`
	Seq     uint64 `json:"-"`
	Body    []byte `json:"-"`
	// Cold is set while the body and the immutable fields above live in a
	// segment (cold.go); hydrate fills them in, and the record stays cold.
	Cold *coldRef `json:"-"`
	// stateLen is how many bytes the stored record's state takes after
	// its format byte (appendState's), as read: 0 when it is not known
	// (a new record, or one stored as JSON), which writeState then writes
	// whole.
	stateLen int
}

// put writes the record and its index entry.
func (m *messageRecord) put(tx kv.Txn, d did, id msgID, entry byte) error {
	b, err := m.encode()
	if err != nil {
		return err
	}
	record, index := recordKeys(d, m.Shard, m.VisibleAt, id)
	if err := tx.Set(record, b); err != nil {
		return err
	}
	return tx.Set(index, entryMark(entry))
}

// putState rewrites the state of a stored record (what a receive or a
// visibility change moves: its visibility, receive count and generation)
// and writes its index entry.
func (m *messageRecord) putState(tx kv.Txn, d did, id msgID, entry byte) error {
	record, index := recordKeys(d, m.Shard, m.VisibleAt, id)
	if err := m.writeState(tx, record); err != nil {
		return err
	}
	return tx.Set(index, entryMark(entry))
}

// writeState rewrites the state of the record stored at key, which m was
// read from in this transaction. On a store that splices values
// (kv.Splicer) only the state goes to the log, not the body; elsewhere,
// or for a record stored as JSON, the whole record is written.
func (m *messageRecord) writeState(tx kv.Txn, key []byte) error {
	sp, ok := tx.(kv.Splicer)
	if !ok || m.stateLen == 0 {
		b, err := m.encode()
		if err != nil {
			return err
		}
		m.stateLen = 0 // unknown until read again: a later write here is whole too
		return tx.Set(key, b)
	}
	state := m.appendState(make([]byte, 0, 32))
	if err := sp.Splice(key, 1, m.stateLen, state); err != nil {
		return err
	}
	m.stateLen = len(state)
	return nil
}

// Index entry values without a FIFO group are one byte: shared, so a put
// does not allocate one (no one changes a value handed to the store).
var (
	sentMark     = []byte{entrySent}
	delayedMark  = []byte{entryDelayed}
	inFlightMark = []byte{entryInFlight}
)

func entryMark(entry byte) []byte {
	switch entry {
	case entrySent:
		return sentMark
	case entryDelayed:
		return delayedMark
	case entryInFlight:
		return inFlightMark
	}
	return []byte{entry}
}

// remove deletes the record and its index entry.
func (m *messageRecord) remove(tx kv.Txn, d did, id msgID) error {
	record, index := recordKeys(d, m.Shard, m.VisibleAt, id)
	if err := deleteIndexKey(tx, m, index); err != nil {
		return err
	}
	return m.dropKey(tx, d, id, record)
}

// deleteIndexEntry deletes a standard message's index entry. Each entry
// is Set once and deleted once — a send or a claim writes it at a new
// (visible-at, id) key, and a claim, visibility change or delete that
// moves a record deletes the old key first, in the same transaction — so
// the store may use a tombstone that vanishes with the value it covers
// (kv.DeleteSetOnce). FIFO group entries are left to a plain Delete.
func deleteIndexEntry(tx kv.Txn, d did, m *messageRecord, id msgID) error {
	return deleteIndexKey(tx, m, indexKey(d, m.Shard, m.VisibleAt, id))
}

func deleteIndexKey(tx kv.Txn, m *messageRecord, key []byte) error {
	if m.Group != "" {
		return tx.Delete(key)
	}
	return kv.DeleteSetOnce(tx, key)
}

// drop deletes the record alone; a cold record leaves a dead marker in
// its segment, in the same transaction, for the segment collector.
func (m *messageRecord) drop(tx kv.Txn, d did, id msgID) error {
	return m.dropKey(tx, d, id, messageKey(d, id))
}

// dropKey is drop with the record's key already built.
func (m *messageRecord) dropKey(tx kv.Txn, d did, id msgID, record []byte) error {
	if m.Cold != nil {
		if err := tx.Set(deadKey(d, m.Cold.seg, id), present); err != nil {
			return err
		}
	}
	return tx.Delete(record)
}

// size is the message's size as SQS counts it: body plus attributes.
func (m *messageRecord) size() int64 {
	if m.Cold != nil {
		return m.Cold.size
	}
	return int64(len(m.Body) + msgattr.Size(m.Attrs))
}

// present is the value of keys that only need to exist (the store keeps
// no empty values).
var present = []byte{1}

func isNotFound(err error) bool { return errors.Is(err, kv.ErrNotFound) }
