package engine

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/sluice-mq/sluice/data-plane/msgattr"
)

// Message records are written in format 2, a compact binary layout; every
// receive and delete decodes one and every claim encodes one, and JSON
// metadata (format 1, still read) cost a tenth of the API's CPU time.
//
//	2 | sentAt | firstReceive | visibleAt | receiveCount | gen   (varints)
//	  | shard (1 byte) | senderID | md5Body | dlqSource         (length-prefixed)
//	  | attrs | sysAttrs | body (the rest)
//
// Format 3 is format 2 with three fields after dlqSource, for messages of
// FIFO queues (or with a group id): group and dedupID (length-prefixed) and
// seq (uvarint).
//
// Format 4 is a cold message (cold.go): its body and immutable metadata
// live in a segment on the blob store, and the record keeps only what
// receives, deletes and FIFO groups change or read:
//
//	4 | sentAt | firstReceive | visibleAt | receiveCount | gen   (varints)
//	  | shard | group (length-prefixed) | seq (uvarint)
//	  | segment shard (1 byte) | segment id (8 bytes) | offset | length | size (uvarints)
//
// attrs: a count, then per attribute its name, data type, kind (0 string,
// 1 binary) and value, each length-prefixed, in name order.
const (
	recordFormatJSON   = 1
	recordFormatBinary = 2
	recordFormatFIFO   = 3
	recordFormatCold   = 4
)

var errShortRecord = errors.New("message record: truncated")

func (m *messageRecord) encode() ([]byte, error) {
	if m.Cold != nil {
		return m.encodeCold(), nil
	}
	out := make([]byte, 0, 64+len(m.SenderID)+len(m.MD5Body)+len(m.DLQSource)+len(m.Group)+len(m.DedupID)+msgattr.Size(m.Attrs)+msgattr.Size(m.SysAttrs)+len(m.Body))
	fifo := m.Group != "" || m.DedupID != "" || m.Seq != 0
	if fifo {
		out = append(out, recordFormatFIFO)
	} else {
		out = append(out, recordFormatBinary)
	}
	out = m.appendState(out)
	out = appendString(out, m.SenderID)
	out = appendString(out, m.MD5Body)
	out = appendString(out, m.DLQSource)
	if fifo {
		out = appendString(out, m.Group)
		out = appendString(out, m.DedupID)
		out = binary.AppendUvarint(out, m.Seq)
	}
	out = appendAttrs(out, m.Attrs)
	out = appendAttrs(out, m.SysAttrs)
	return append(out, m.Body...), nil
}

func decodeMessage(b []byte) (*messageRecord, error) {
	if len(b) == 0 {
		return nil, errShortRecord
	}
	switch b[0] {
	case recordFormatBinary, recordFormatFIFO:
		d := recordDecoder{b: b[1:]}
		m := d.state()
		if b[0] == recordFormatFIFO {
			d.strings(&m.SenderID, &m.MD5Body, &m.DLQSource, &m.Group, &m.DedupID)
			m.Seq = d.uvarint()
		} else {
			d.strings(&m.SenderID, &m.MD5Body, &m.DLQSource)
		}
		m.Attrs, m.SysAttrs = d.attrs(), d.attrs()
		if d.err != nil {
			return nil, d.err
		}
		m.Body = d.b
		return m, nil
	case recordFormatCold:
		return decodeColdRecord(b[1:])
	case recordFormatJSON:
		return decodeJSONRecord(b)
	}
	return nil, fmt.Errorf("message record: unknown format %d", b[0])
}

// decodeJSONRecord reads format 1: the format byte, the length of the JSON
// metadata, the metadata and the raw body.
func decodeJSONRecord(b []byte) (*messageRecord, error) {
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

// appendState writes what formats 2, 3 and 4 begin with: the fields a
// receive or a visibility change rewrites.
func (m *messageRecord) appendState(out []byte) []byte {
	out = binary.AppendVarint(out, m.SentAt)
	out = binary.AppendVarint(out, m.FirstReceive)
	out = binary.AppendVarint(out, m.VisibleAt)
	out = binary.AppendUvarint(out, uint64(m.ReceiveCount))
	out = binary.AppendUvarint(out, uint64(m.Gen))
	return append(out, m.Shard)
}

// state reads what appendState wrote.
func (d *recordDecoder) state() *messageRecord {
	n := len(d.b)
	m := &messageRecord{
		SentAt:       d.varint(),
		FirstReceive: d.varint(),
		VisibleAt:    d.varint(),
		ReceiveCount: int(d.uvarint()),
		Gen:          uint32(d.uvarint()),
		Shard:        d.byte(),
	}
	if d.err == nil {
		m.stateLen = n - len(d.b)
	}
	return m
}

func appendString(out []byte, s string) []byte {
	out = binary.AppendUvarint(out, uint64(len(s)))
	return append(out, s...)
}

func appendAttrs(out []byte, attrs msgattr.Attributes) []byte {
	out = binary.AppendUvarint(out, uint64(len(attrs)))
	names := make([]string, 0, len(attrs))
	for name := range attrs {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		v := attrs[name]
		out = appendString(out, name)
		out = appendString(out, v.DataType)
		if v.BinaryValue != nil {
			out = append(out, 1)
			out = appendString(out, string(v.BinaryValue))
		} else {
			out = append(out, 0)
			out = appendString(out, v.StringValue)
		}
	}
	return out
}

// recordDecoder reads format 2; the first error sticks.
type recordDecoder struct {
	b   []byte
	err error
}

func (d *recordDecoder) fail() { d.err, d.b = errShortRecord, nil }

func (d *recordDecoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *recordDecoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *recordDecoder) byte() byte {
	if len(d.b) == 0 {
		d.fail()
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *recordDecoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil || uint64(len(d.b)) < n {
		d.fail()
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *recordDecoder) string() string { return string(d.bytes()) }

// maxJoinedStrings is how many strings strings reads at most.
const maxJoinedStrings = 5

// strings reads consecutive length-prefixed strings into one allocation:
// a record's short fields (sender, body digest, dead-letter source, FIFO
// group and deduplication id) lie together, and a string each cost every
// receive and every delete an allocation per field.
func (d *recordDecoder) strings(fields ...*string) {
	if len(fields) > maxJoinedStrings {
		panic("recordDecoder.strings: too many fields")
	}
	region := d.b
	var spans [maxJoinedStrings][2]int
	size := 0
	for i := range fields {
		b := d.bytes()
		if d.err != nil {
			return
		}
		end := len(region) - len(d.b)
		spans[i] = [2]int{end - len(b), end}
		size += len(b)
	}
	if size == 0 {
		return
	}
	joined := string(region[:len(region)-len(d.b)])
	for i, f := range fields {
		*f = joined[spans[i][0]:spans[i][1]]
	}
}

func (d *recordDecoder) attrs() msgattr.Attributes {
	n := d.uvarint()
	if n == 0 || d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) { // each attribute takes bytes: a bad count fails here
		d.fail()
		return nil
	}
	attrs := make(msgattr.Attributes, n)
	for range n {
		name, dataType := d.string(), d.string()
		v := msgattr.Value{DataType: dataType}
		if d.byte() == 1 {
			v.BinaryValue = append([]byte{}, d.bytes()...)
		} else {
			v.StringValue = d.string()
		}
		if d.err != nil {
			return nil
		}
		attrs[name] = v
	}
	return attrs
}
