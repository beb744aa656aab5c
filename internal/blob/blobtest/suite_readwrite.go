package blobtest

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/internal/blob"
)

func testRoundTrip(t *testing.T, s blob.Store, prefix string) {
	big := make([]byte, 1<<20)
	rand.Read(big)
	cases := map[string][]byte{
		prefix + "empty":       {},
		prefix + "one-byte":    {0x7f},
		prefix + "nested/1mib": big,
	}
	for key, data := range cases {
		mustPut(t, s, key, data)
	}
	for key, want := range cases {
		got := mustGet(t, s, key)
		if sha256.Sum256(got) != sha256.Sum256(want) {
			t.Errorf("Get(%q): %d bytes with wrong checksum, want %d bytes", key, len(got), len(want))
		}
		info, err := s.Stat(t.Context(), key)
		if err != nil {
			t.Fatalf("Stat(%q): %v", key, err)
		}
		if info.Size != int64(len(want)) {
			t.Errorf("Stat(%q).Size = %d, want %d", key, info.Size, len(want))
		}
	}
}

func testOverwrite(t *testing.T, s blob.Store, prefix string) {
	key := prefix + "obj"
	mustPut(t, s, key, []byte("first version, rather long"))
	mustPut(t, s, key, []byte("second"))
	checkContent(t, s, key, []byte("second"))
	info, err := s.Stat(t.Context(), key)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if info.Size != int64(len("second")) {
		t.Errorf("Stat after overwrite: Size = %d, want %d", info.Size, len("second"))
	}
}

func testStat(t *testing.T, s blob.Store, prefix string) {
	key := prefix + "dir/obj"
	// Servers may keep whole seconds only, and their clock may drift a bit.
	const slack = 5 * time.Second
	before := time.Now()
	mustPut(t, s, key, bytes.Repeat([]byte("x"), 1234))
	after := time.Now()

	info, err := s.Stat(t.Context(), key)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if info.Key != key || info.Size != 1234 {
		t.Errorf("Stat = {Key: %q, Size: %d}, want {Key: %q, Size: 1234}", info.Key, info.Size, key)
	}
	if info.LastModified.Before(before.Add(-slack)) || info.LastModified.After(after.Add(slack)) {
		t.Errorf("Stat.LastModified = %v, want within %v of [%v, %v]", info.LastModified, slack, before, after)
	}
}

func testGetRange(t *testing.T, s blob.Store, prefix string) {
	key := prefix + "obj"
	data := make([]byte, 1000)
	rand.Read(data)
	mustPut(t, s, key, data)

	for _, r := range []struct {
		name           string
		offset, length int64
	}{
		{"start", 0, 10},
		{"middle", 400, 100},
		{"end", 990, 10},
		{"whole", 0, 1000},
		{"zero length", 500, 0},
		{"zero length at end", 1000, 0},
	} {
		got, err := s.GetRange(t.Context(), key, r.offset, r.length)
		if err != nil {
			t.Errorf("GetRange %s (%d, %d): %v", r.name, r.offset, r.length, err)
			continue
		}
		if want := data[r.offset : r.offset+r.length]; !bytes.Equal(got, want) {
			t.Errorf("GetRange %s (%d, %d) = %d bytes, not the expected %d", r.name, r.offset, r.length, len(got), len(want))
		}
	}
	for _, r := range []struct {
		name           string
		offset, length int64
	}{
		{"past end", 995, 10},
		{"starts at end", 1000, 1},
		{"starts past end", 2000, 1},
		{"negative offset", -1, 10},
		{"negative length", 10, -1},
	} {
		if got, err := s.GetRange(t.Context(), key, r.offset, r.length); err == nil {
			t.Errorf("GetRange %s (%d, %d) = %d bytes, want an error", r.name, r.offset, r.length, len(got))
		}
	}
}

func testMissing(t *testing.T, s blob.Store, prefix string) {
	mustPut(t, s, prefix+"present", []byte("here"))
	for _, key := range []string{prefix + "absent", prefix + "no/such/dir/obj"} {
		_, err := s.Get(t.Context(), key)
		checkNotFound(t, "Get("+key+")", err)
		_, err = s.GetRange(t.Context(), key, 0, 1)
		checkNotFound(t, "GetRange("+key+")", err)
		_, err = s.Stat(t.Context(), key)
		checkNotFound(t, "Stat("+key+")", err)
	}
}

func testDelete(t *testing.T, s blob.Store, prefix string) {
	key := prefix + "dir/sub/obj"
	mustPut(t, s, key, []byte("doomed"))
	mustPut(t, s, prefix+"keep", []byte("kept"))
	for i := range 2 { // the second Delete finds nothing and must not fail
		if err := s.Delete(t.Context(), key); err != nil {
			t.Fatalf("Delete #%d: %v", i+1, err)
		}
	}
	if err := s.Delete(t.Context(), prefix+"never/existed"); err != nil {
		t.Errorf("Delete of a never-written key: %v", err)
	}
	_, err := s.Get(t.Context(), key)
	checkNotFound(t, "Get after Delete", err)

	keys := listAll(t, s, blob.ListOptions{Prefix: prefix})
	if len(keys) != 1 || keys[0] != prefix+"keep" {
		t.Errorf("List after Delete = %q, want only %q", keys, prefix+"keep")
	}
	// The emptied prefix can be reused.
	mustPut(t, s, key, []byte("again"))
	checkContent(t, s, key, []byte("again"))
}
