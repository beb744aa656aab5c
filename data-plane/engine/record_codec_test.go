package engine

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/sluice-mq/sluice/data-plane/msgattr"
	"github.com/sluice-mq/sluice/data-plane/tiering/segment"
)

func sampleRecord() *messageRecord {
	return &messageRecord{
		SentAt: 1795292362467, SenderID: "111122223333", MD5Body: "49f68a5c8493ec2c0bf489821c21fc3b",
		ReceiveCount: 3, FirstReceive: 1795292363100, Gen: 7, Shard: 5, VisibleAt: -1, // any int64
		DLQSource: "arn:aws:sqs:us-east-1:111122223333:src",
		Attrs: msgattr.Attributes{
			"s": {DataType: "String", StringValue: "hé"},
			"n": {DataType: "Number.int", StringValue: "42"},
			"b": {DataType: "Binary", BinaryValue: []byte{0, 1, 255}},
		},
		SysAttrs: msgattr.Attributes{"AWSTraceHeader": {DataType: "String", StringValue: "Root=1"}},
		Body:     []byte("body \x00 with any bytes"),
	}
}

func TestRecordRoundTrip(t *testing.T) {
	fifo := sampleRecord()
	fifo.Group, fifo.DedupID, fifo.Seq = "group-1", "dedup-1", 1<<62+5
	for _, rec := range []*messageRecord{sampleRecord(), fifo, {MD5Body: "x", Body: []byte{}}} {
		b, err := rec.encode()
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeMessage(b)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Body) == 0 && len(rec.Body) == 0 {
			got.Body = rec.Body
		}
		// A decoded record knows where its state ends: a splice of the
		// state (writeState) replaces those bytes.
		rec.stateLen = len(rec.appendState(nil))
		if !reflect.DeepEqual(got, rec) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, rec)
		}
		// Every truncation fails cleanly (the body is the tail, so only
		// cuts inside the header are detectable).
		header := len(b) - len(rec.Body)
		for n := range header {
			if _, err := decodeMessage(b[:n]); err == nil {
				t.Fatalf("a record cut to %d of %d header bytes decoded", n, header)
			}
		}
	}
}

// updateRecords rewrites the golden record files from today's encoders.
// Only for a deliberate new format: the files stand for records already
// in stores, so an old format's file must never change.
// Run: go test -run TestRecordGoldenFiles ./data-plane/engine/ -args -update-records
var updateRecords = flag.Bool("update-records", false, "rewrite testdata/records/*.bin")

// goldenHot is the hot record of the golden files: every field set, with
// values that take several varint bytes, a negative time and an
// attribute of each kind, so a change to any field's layout shows.
func goldenHot() *messageRecord {
	return &messageRecord{
		SentAt: 1795292362467, FirstReceive: 1795292363100, VisibleAt: -1795292393100, ReceiveCount: 300, Gen: 70000, Shard: 5,
		SenderID: "AIDAEXAMPLE111122223333", MD5Body: "49f68a5c8493ec2c0bf489821c21fc3b",
		DLQSource: "arn:aws:sqs:us-east-1:111122223333:src",
		Attrs: msgattr.Attributes{
			"s": {DataType: "String", StringValue: "hé"},
			"n": {DataType: "Number.int", StringValue: "42"},
			"b": {DataType: "Binary.raw", BinaryValue: []byte{0, 1, 255}},
		},
		SysAttrs: msgattr.Attributes{"AWSTraceHeader": {DataType: "String", StringValue: "Root=1-5759e988-bd862e3fe1be46a994272793"}},
		Body:     []byte("body \x00 with any bytes \xff"),
	}
}

func goldenFIFO() *messageRecord {
	m := goldenHot()
	m.Group, m.DedupID, m.Seq = "group-1", "dedup-1", 1<<62+5
	return m
}

// goldenCold is goldenFIFO once tiered: the record keeps the state, group,
// sequence number and segment reference, the payload the rest.
func goldenCold() *messageRecord {
	m := goldenFIFO()
	m.Cold = &coldRef{seg: segRef{shard: 3, id: 1<<40 + 7}, frame: segment.Ref{Offset: 1 << 20, Length: 300}, size: 4242}
	return m
}

// coldOnly is what a cold record holds before its payload is read.
func coldOnly(m *messageRecord) *messageRecord {
	return &messageRecord{SentAt: m.SentAt, FirstReceive: m.FirstReceive, VisibleAt: m.VisibleAt, ReceiveCount: m.ReceiveCount,
		Gen: m.Gen, Shard: m.Shard, Group: m.Group, Seq: m.Seq, Cold: m.Cold}
}

// formatJSON writes format 1 as the encoder of its day did (commit
// 181e3e9^): JSON of the same struct tags; no FIFO fields existed.
func formatJSON(t *testing.T, m *messageRecord) []byte {
	meta, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	b := append([]byte{recordFormatJSON}, binary.AppendUvarint(nil, uint64(len(meta)))...)
	return append(append(b, meta...), m.Body...)
}

// Every record format the decoder accepts has a file of bytes written
// once: each decodes to the record it was written from, field by field,
// and today's encoder writes the same bytes for the formats it still
// writes. A change to a format breaks this test rather than the records
// already stored.
func TestRecordGoldenFiles(t *testing.T) {
	hot, cold := goldenHot(), goldenCold()
	for _, c := range []struct {
		file   string
		format byte
		want   *messageRecord
		// encode gives today's bytes; nil for a format no longer written.
		encode func() []byte
	}{
		{"format1-json.bin", recordFormatJSON, hot, nil},
		{"format2-hot.bin", recordFormatBinary, hot, func() []byte { b, _ := hot.encode(); return b }},
		{"format3-fifo.bin", recordFormatFIFO, goldenFIFO(), func() []byte { b, _ := goldenFIFO().encode(); return b }},
		{"format4-cold.bin", recordFormatCold, coldOnly(cold), func() []byte { b, _ := cold.encode(); return b }},
	} {
		path := filepath.Join("testdata", "records", c.file)
		if *updateRecords {
			b := formatJSON(t, c.want)
			if c.encode != nil {
				b = c.encode()
			}
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if b[0] != c.format {
			t.Errorf("%s: format byte %d, want %d", c.file, b[0], c.format)
		}
		got, err := decodeMessage(b)
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		// A binary record knows where its state ends (a splice of the
		// state replaces those bytes); a JSON one has no such bytes.
		want := *c.want
		if c.format != recordFormatJSON {
			want.stateLen = len(want.appendState(nil))
		}
		if !reflect.DeepEqual(got, &want) {
			t.Errorf("%s decodes as\n %+v\nwant\n %+v", c.file, got, &want)
		}
		if c.encode != nil {
			if now := c.encode(); !bytes.Equal(now, b) {
				t.Errorf("%s: today's encoder writes\n %x\nthe file holds\n %x", c.file, now, b)
			}
		}
	}

	// The cold payload (in segments on the blob store) is a stored format
	// too: it fills the cold record back to the whole FIFO record.
	path := filepath.Join("testdata", "records", "cold-payload1.bin")
	if *updateRecords {
		if err := os.WriteFile(path, cold.coldPayload(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	payload, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if now := cold.coldPayload(); !bytes.Equal(now, payload) {
		t.Errorf("cold payload: today's encoder writes\n %x\nthe file holds\n %x", now, payload)
	}
	got := coldOnly(cold)
	if err := got.fillFromPayload(payload); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, cold) {
		t.Errorf("cold record and payload decode as\n %+v\nwant\n %+v", got, cold)
	}
}

func FuzzDecodeRecord(f *testing.F) {
	b, _ := sampleRecord().encode()
	f.Add(b)
	f.Add([]byte{recordFormatBinary, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := decodeMessage(b)
		if err != nil || rec == nil || b[0] != recordFormatBinary {
			return
		}
		again, err := rec.encode()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := decodeMessage(again); err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
	})
}

// A cold record keeps the state and the reference, and its payload the
// rest; hydrating one gives back the hot record's fields.
func TestColdRecordRoundTrip(t *testing.T) {
	hot := &messageRecord{SentAt: 1795300000123, FirstReceive: 1795300000999, VisibleAt: 1795300030999, ReceiveCount: 3, Gen: 7, Shard: 5,
		SenderID: "AIDAEXAMPLE", MD5Body: "0123456789abcdef0123456789abcdef", DLQSource: "arn:aws:sqs:us-east-1:1:src",
		Group: "g", DedupID: "d", Seq: 42, Body: []byte("hello"),
		Attrs:    msgattr.Attributes{"a": {DataType: "String", StringValue: "x"}, "b": {DataType: "Binary", BinaryValue: []byte{0, 1}}},
		SysAttrs: msgattr.Attributes{"AWSTraceHeader": {DataType: "String", StringValue: "Root=1"}}}
	payload := hot.coldPayload()
	cold := *hot
	cold.Cold = &coldRef{seg: segRef{shard: 3, id: 1 << 40}, frame: segment.Ref{Offset: 5, Length: 300}, size: hot.size()}
	b, err := cold.encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeMessage(b)
	if err != nil {
		t.Fatal(err)
	}
	if *got.Cold != *cold.Cold || got.SentAt != hot.SentAt || got.VisibleAt != hot.VisibleAt || got.ReceiveCount != 3 || got.Gen != 7 ||
		got.Shard != 5 || got.Group != "g" || got.Seq != 42 || got.Body != nil || got.size() != hot.size() {
		t.Fatalf("cold record decoded as %+v", got)
	}
	if err := got.fillFromPayload(payload); err != nil {
		t.Fatal(err)
	}
	if got.SenderID != hot.SenderID || got.MD5Body != hot.MD5Body || got.DLQSource != hot.DLQSource || got.DedupID != "d" ||
		string(got.Body) != "hello" || len(got.Attrs) != 2 || string(got.Attrs["b"].BinaryValue) != "\x00\x01" || got.SysAttrs["AWSTraceHeader"].StringValue != "Root=1" {
		t.Fatalf("hydrated as %+v", got)
	}
	if err := got.fillFromPayload([]byte{9}); !errors.Is(err, segment.ErrCorrupt) {
		t.Fatalf("unknown payload format: %v", err)
	}
	if _, err := decodeMessage(b[:len(b)-2]); err == nil {
		t.Fatal("truncated cold record decoded")
	}
}
