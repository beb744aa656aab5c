package engine

import (
	"encoding/binary"
	"encoding/json"
	"errors"
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

// Format 1 (JSON metadata) records written before format 2 still decode.
func TestRecordFormatJSONStillReads(t *testing.T) {
	rec := sampleRecord()
	meta, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	b := append([]byte{recordFormatJSON}, binary.AppendUvarint(nil, uint64(len(meta)))...)
	b = append(append(b, meta...), rec.Body...)
	got, err := decodeMessage(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rec) {
		t.Fatalf("format 1:\n got %+v\nwant %+v", got, rec)
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
