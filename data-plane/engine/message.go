package engine

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

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
	Body         []byte             `json:"-"`
}

const recordVersion = 1

// encode lays the record out as a version byte, the length of the JSON
// metadata, the metadata and the raw body: bodies up to 1 MiB are not
// escaped or base64-encoded.
func (m *messageRecord) encode() ([]byte, error) {
	meta, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, 1+binary.MaxVarintLen64+len(meta)+len(m.Body))
	out = append(out, recordVersion)
	out = binary.AppendUvarint(out, uint64(len(meta)))
	out = append(out, meta...)
	return append(out, m.Body...), nil
}

func decodeMessage(b []byte) (*messageRecord, error) {
	if len(b) == 0 || b[0] != recordVersion {
		return nil, errors.New("message record: unknown version")
	}
	n, w := binary.Uvarint(b[1:])
	if w <= 0 || uint64(len(b)-1-w) < n {
		return nil, errors.New("message record: bad metadata length")
	}
	start := 1 + w
	var m messageRecord
	if err := json.Unmarshal(b[start:start+int(n)], &m); err != nil {
		return nil, fmt.Errorf("message record: %w", err)
	}
	m.Body = b[start+int(n):]
	return &m, nil
}

// put writes the record and its index entry.
func (m *messageRecord) put(tx kv.Txn, d did, id msgID, entry byte) error {
	b, err := m.encode()
	if err != nil {
		return err
	}
	if err := tx.Set(messageKey(d, id), b); err != nil {
		return err
	}
	return tx.Set(indexKey(d, m.Shard, m.VisibleAt, id), []byte{entry})
}

// remove deletes the record and its index entry.
func (m *messageRecord) remove(tx kv.Txn, d did, id msgID) error {
	if err := tx.Delete(indexKey(d, m.Shard, m.VisibleAt, id)); err != nil {
		return err
	}
	return tx.Delete(messageKey(d, id))
}

func isNotFound(err error) bool { return errors.Is(err, kv.ErrNotFound) }
