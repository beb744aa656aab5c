package engine

import (
	"bytes"
	"testing"
)

// The keys a put, a removal, a claim and a delete build in one allocation
// are the keys messageKey and indexKey build, each its own slice.
func TestBatchedKeysMatchSingleKeys(t *testing.T) {
	var d did
	for i := range d {
		d[i] = byte(0xa0 + i)
	}
	ids := make([]msgID, 3)
	for i := range ids {
		for j := range ids[i] {
			ids[i][j] = byte(i*16 + j)
		}
	}
	for _, visibleAt := range []int64{0, 1, 1 << 40} {
		record, index := recordKeys(d, 7, visibleAt, ids[1])
		if !bytes.Equal(record, messageKey(d, ids[1])) || !bytes.Equal(index, indexKey(d, 7, visibleAt, ids[1])) {
			t.Fatalf("recordKeys = %q, %q; want %q, %q", record, index, messageKey(d, ids[1]), indexKey(d, 7, visibleAt, ids[1]))
		}
		// Appending to the record key must not overwrite the index key.
		want := bytes.Clone(index)
		_ = append(record, 'x')
		if !bytes.Equal(index, want) {
			t.Fatalf("appending to the record key changed the index key: %q", index)
		}
	}
	keys := messageKeys(d, ids)
	for i, id := range ids {
		if !bytes.Equal(keys[i], messageKey(d, id)) {
			t.Fatalf("messageKeys[%d] = %q, want %q", i, keys[i], messageKey(d, id))
		}
	}
	_ = append(keys[0], 'x')
	if !bytes.Equal(keys[1], messageKey(d, ids[1])) {
		t.Fatalf("appending to one key changed the next: %q", keys[1])
	}
}
