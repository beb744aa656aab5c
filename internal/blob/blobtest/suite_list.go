package blobtest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/sluice-mq/sluice/internal/blob"
)

// putKeys stores a small distinct object under each of prefix+name.
func putKeys(t *testing.T, s blob.Store, prefix string, names ...string) []string {
	t.Helper()
	keys := make([]string, len(names))
	for i, name := range names {
		keys[i] = prefix + name
		mustPut(t, s, keys[i], []byte(name))
	}
	return keys
}

func checkKeys(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}

func testListOrder(t *testing.T, s blob.Store, prefix string) {
	// Byte-wise order ignores directory structure: '-' and '.' sort before
	// '/', so "a-c" < "a/b" even though a/ is a directory on disk.
	keys := putKeys(t, s, prefix, "a/b", "a-c", "a0", "a/a/z", "a.b", "B", "b", "a/b-", "é", "a/b0")
	want := slices.Clone(keys)
	slices.Sort(want)

	page, err := s.List(t.Context(), blob.ListOptions{Prefix: prefix})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	var got []string
	for _, o := range page.Objects {
		got = append(got, o.Key)
		if wantSize := int64(len(o.Key) - len(prefix)); o.Size != wantSize {
			t.Errorf("List: %q has Size %d, want %d", o.Key, o.Size, wantSize)
		}
		if o.LastModified.IsZero() {
			t.Errorf("List: %q has no LastModified", o.Key)
		}
	}
	checkKeys(t, "List order", got, want)
	if page.Next != "" {
		t.Errorf("List of everything: Next = %q, want empty", page.Next)
	}
}

func testListPrefix(t *testing.T, s blob.Store, prefix string) {
	putKeys(t, s, prefix, "x/1", "x/2", "x/deep/3", "xy", "y/1", "x-")
	for _, c := range []struct {
		prefix string
		want   []string
	}{
		{"x/", []string{"x/1", "x/2", "x/deep/3"}},
		{"x", []string{"x-", "x/1", "x/2", "x/deep/3", "xy"}},
		{"x/d", []string{"x/deep/3"}},
		{"x/1", []string{"x/1"}},
		{"y/", []string{"y/1"}},
		{"zzz", nil},
		{"nothing/here/", nil},
	} {
		got := listAll(t, s, blob.ListOptions{Prefix: prefix + c.prefix})
		var want []string
		for _, name := range c.want {
			want = append(want, prefix+name)
		}
		checkKeys(t, fmt.Sprintf("List(Prefix %q)", prefix+c.prefix), got, want)
	}
}

func testListPagination(t *testing.T, s blob.Store, prefix string) {
	var names []string
	for i := range 25 {
		switch i % 3 { // spread the keys over several directory levels
		case 0:
			names = append(names, fmt.Sprintf("k%02d", i))
		case 1:
			names = append(names, fmt.Sprintf("d%d/k%02d", i%2, i))
		default:
			names = append(names, fmt.Sprintf("d%d/sub/k%02d", i%2, i))
		}
	}
	want := putKeys(t, s, prefix, names...)
	slices.Sort(want)

	for _, limit := range []int{1, 4, 5, 24, 25, 26} {
		opts := blob.ListOptions{Prefix: prefix, Limit: limit}
		var got []string
		for pages := 0; ; pages++ {
			if pages > len(want) {
				t.Fatalf("Limit %d: pagination does not end", limit)
			}
			page, err := s.List(t.Context(), opts)
			if err != nil {
				t.Fatalf("Limit %d: List: %v", limit, err)
			}
			if len(page.Objects) > limit {
				t.Fatalf("Limit %d: page has %d objects", limit, len(page.Objects))
			}
			for _, o := range page.Objects {
				got = append(got, o.Key)
			}
			if page.Next == "" {
				break
			}
			if len(page.Objects) == 0 || page.Next != page.Objects[len(page.Objects)-1].Key {
				t.Fatalf("Limit %d: Next = %q, want the page's last key", limit, page.Next)
			}
			opts.StartAfter = page.Next
		}
		// Every key exactly once, in order; an exact multiple of the limit
		// must not end with an empty page that still has a Next.
		checkKeys(t, fmt.Sprintf("Limit %d: keys over all pages", limit), got, want)
	}
}

func testListStartAfter(t *testing.T, s blob.Store, prefix string) {
	putKeys(t, s, prefix, "d-x", "d/x", "d/y/z", "e", "k1", "k2", "k3")
	for _, c := range []struct {
		startAfter string
		want       []string
	}{
		{"k1", []string{"k2", "k3"}},
		{"k1a", []string{"k2", "k3"}}, // need not be an existing key
		{"k3", nil},
		{"d/", []string{"d/x", "d/y/z", "e", "k1", "k2", "k3"}},
		{"d/x", []string{"d/y/z", "e", "k1", "k2", "k3"}},
		{"d/y/", []string{"d/y/z", "e", "k1", "k2", "k3"}},
		{"d/zz", []string{"e", "k1", "k2", "k3"}},
		{"", []string{"d-x", "d/x", "d/y/z", "e", "k1", "k2", "k3"}},
	} {
		startAfter := ""
		if c.startAfter != "" {
			startAfter = prefix + c.startAfter
		}
		got := listAll(t, s, blob.ListOptions{Prefix: prefix, StartAfter: startAfter})
		var want []string
		for _, name := range c.want {
			want = append(want, prefix+name)
		}
		checkKeys(t, fmt.Sprintf("List(StartAfter %q)", startAfter), got, want)
	}
	// A StartAfter before the prefix selects the whole prefix.
	got := listAll(t, s, blob.ListOptions{Prefix: prefix + "k", StartAfter: "a"})
	checkKeys(t, "List(StartAfter before prefix)", got, []string{prefix + "k1", prefix + "k2", prefix + "k3"})
}
