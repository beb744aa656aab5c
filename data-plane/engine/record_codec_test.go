package engine

import (
	"encoding/binary"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/sluice-mq/sluice/data-plane/msgattr"
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
